import assert from "node:assert/strict";
import {
  buildTable,
  builtinRegistry,
  makeSpec,
  type Params,
  resolveParams,
  ropeFromHfConfig,
  toGguf,
  toHfRopeScaling,
} from "../../mod.ts";

const spec = makeSpec({ theta: 500000, headDim: 128, originalContext: 8192 });
const hfModel = { hidden_size: 4096, num_attention_heads: 32, rope_theta: 500000 };
const cases: [string, Params][] = [
  ["pi", {}],
  ["ntk", {}],
  ["yarn", { beta_fast: 16 }],
  ["llama3", {}],
  ["longrope", { long_factor: Array.from({ length: 64 }, (_, i) => 1 + i / 8) }],
  ["longrope2", {}],
];

for (const [name, given] of cases) {
  Deno.test(`export: ${name} → HF rope_scaling → the same frequencies back`, async () => {
    const strategy = builtinRegistry().get(name);
    const params = resolveParams(name, strategy.params, given, spec);
    const table = await buildTable(strategy, spec, { targetLength: 32768 }, params);
    const hf = toHfRopeScaling({ strategy: name, spec, params, table, targetLength: 32768 });
    assert.ok(hf.rope_scaling);
    const back = await ropeFromHfConfig({
      ...hfModel,
      max_position_embeddings: hf.max_position_embeddings,
      rope_scaling: hf.rope_scaling,
    }, { seqLen: 32768 });
    const worst = Math.max(...Array.from(table.invFreq, (v, i) => Math.abs(back.chosen.invFreq[i] - v) / v));
    assert.ok(worst < 3e-7, `max rel diff ${worst}`);
    assert.ok(Math.abs(back.chosen.attentionScale - table.attentionScale) < 1e-12);
  });
}

Deno.test("export: GGUF keys — NTK is a base change, LongRoPE2 ships per-pair factors", async () => {
  const reg = builtinRegistry();
  const ntkTable = await buildTable(reg.get("ntk"), spec, {}, { factor: 4 });
  const ntk = toGguf({ strategy: "ntk", spec, params: { factor: 4 }, table: ntkTable, targetLength: 32768 });
  assert.equal(ntk.keys["{arch}.rope.freq_base"], 500000 * Math.pow(4, 128 / 126));
  const lr2 = await buildTable(reg.get("longrope2"), spec, { targetLength: 32768 });
  const g = toGguf({ strategy: "longrope2", spec, params: {}, table: lr2, targetLength: 32768 });
  assert.equal(g.tensors["rope_factors_long.weight"].length, 64);
  assert.ok(g.tensors["rope_factors_short.weight"].every((v) => v === 1));
  assert.equal(g.keys["{arch}.rope.scaling.attn_factor"], lr2.attentionScale);
  const yarn = toGguf({
    strategy: "yarn",
    spec,
    params: { beta_fast: 32, beta_slow: 1 },
    table: await buildTable(reg.get("yarn"), spec, { targetLength: 32768 }),
    targetLength: 32768,
  });
  assert.equal(yarn.keys["{arch}.rope.scaling.type"], "yarn");
  assert.equal(yarn.keys["{arch}.rope.scaling.factor"], 4);
});
