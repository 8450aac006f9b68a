/**
 * transformers 5 configs and the newest RoPE types: `rope_parameters` (θ and partial inside, nested
 * per layer type), `proportional`, YaRN's softmax scale and the v1/v2 strategy contract. The bit-level
 * HF comparison of the same configs is in hf_parity_test.ts (fixture group "v5").
 */
import assert from "node:assert/strict";
import {
  buildTable,
  builtinRegistry,
  hfConfigFields,
  hfLayeredConfigFields,
  hfLayerTypes,
  makeSpec,
  readHfConfig,
  ropeFromHfConfig,
  type Strategy,
} from "../../strategies/mod.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/hf_rope_cases.json", import.meta.url)),
);
const byId = (id: string) => fixture.cases.find((c: { id: string }) => c.id === id);

Deno.test("v5: rope_parameters with θ inside reads like the v4 rope_scaling of the same model", () => {
  const v5 = readHfConfig(byId("v5-llama31-8b").config);
  const v4 = readHfConfig(byId("real-llama31-8b").config);
  assert.deepEqual(v5.spec, v4.spec);
  assert.deepEqual(v5.params, v4.params);
  assert.equal(v5.spec.theta, 500000);
});

Deno.test("v5: Gemma 4 per layer type — full_attention is proportional over 512, sliding is default over 256", () => {
  const cfg = byId("v5-gemma4-full_attention").config;
  assert.deepEqual(hfLayerTypes(cfg), ["sliding_attention", "full_attention"]);
  const full = readHfConfig(cfg);
  assert.equal(full.ropeType, "proportional");
  assert.equal(full.spec.rotaryDim, 512);
  assert.equal(full.params.partial_rotary_factor, 0.25);
  const sliding = readHfConfig(cfg, builtinRegistry(), "sliding_attention");
  assert.equal(sliding.ropeType, "default");
  assert.equal(sliding.spec.theta, 10000);
  assert.equal(sliding.spec.rotaryDim, 256);
  assert.throws(
    () => readHfConfig(cfg, builtinRegistry(), "chunked_attention"),
    /no layer type "chunked_attention"/,
  );
});

Deno.test("proportional: the first p·D/2 pairs rotate with exponent over D, the rest are 0", async () => {
  const { table } = await ropeFromHfConfig(byId("v5-gemma4-full_attention").config);
  assert.equal(table.invFreq.length, 256);
  assert.equal(table.invFreq[0], 1);
  assert.ok(table.invFreq[63] > 0);
  assert.ok(table.invFreq.slice(64).every((v) => v === 0));
  // Exponent over the full head: pair 32 is θ^(−64/512), not θ^(−64/128).
  assert.ok(Math.abs(table.invFreq[32] - Math.pow(1e6, -64 / 512)) < 1e-7);
});

Deno.test("yarn: DeepSeek-V3 gets a softmax factor mscale(40, 1)², a Llama with the same block does not", async () => {
  const ds = await ropeFromHfConfig(byId("v5-deepseek-v3").config);
  const m = 0.1 * Math.log(40) + 1;
  assert.equal(ds.table.attentionScale, 1);
  assert.ok(Math.abs((ds.table.softmaxScale ?? 1) - m * m) < 1e-15);
  const llama = await ropeFromHfConfig(byId("real-deepseek-v3-style").config);
  assert.equal(llama.table.softmaxScale, undefined);
});

Deno.test("v5 writer: round-trips through the reader for yarn, longrope and proportional; v4 keeps rope_scaling", async () => {
  for (const id of ["v5-gpt-oss-20b", "v5-phi4-mini-none", "v5-gemma4-proportional-f2", "v5-qwen3-yarn"]) {
    const cfg = byId(id).config;
    const rope = await ropeFromHfConfig(cfg);
    const x = {
      strategy: rope.ropeType,
      spec: rope.spec,
      params: rope.params,
      table: rope.table,
      targetLength: rope.targetLength,
    };
    const base = {
      model_type: "llama",
      hidden_size: rope.spec.headDim * 4,
      num_attention_heads: 4,
      head_dim: rope.spec.headDim,
    };
    for (const format of ["v4", "v5"] as const) {
      const { fields } = hfConfigFields(x, format);
      if (format === "v5") {
        assert.equal((fields.rope_parameters as Record<string, unknown>).rope_theta, rope.spec.theta, id);
      } else assert.ok("rope_scaling" in fields && fields.rope_theta === rope.spec.theta, id);
      const back = await ropeFromHfConfig({
        ...base,
        model_type: rope.ropeType === "longrope" ? "phi3" : "llama",
        ...fields,
      });
      assert.deepEqual(Array.from(back.table.invFreq), Array.from(rope.table.invFreq), `${id} ${format}`);
      assert.equal(back.table.attentionScale, rope.table.attentionScale, `${id} ${format}`);
    }
  }
});

Deno.test("contract: a version-1 plugin still loads, and a softmaxScale it returns is ignored", async () => {
  const v1: Strategy = {
    apiVersion: 1,
    name: "old-plugin",
    version: "0.1.0",
    description: "written before contract v2",
    params: {},
    table: (spec) => ({
      rotaryDim: spec.rotaryDim,
      invFreq: new Float64Array(spec.rotaryDim / 2).fill(0.5),
      attentionScale: 1,
      softmaxScale: 7,
    }),
  };
  const reg = builtinRegistry().register(v1);
  const t = await buildTable(reg.get("old-plugin"), makeSpec({ headDim: 8, originalContext: 64 }));
  assert.equal(t.softmaxScale, undefined);
});

Deno.test("v5 writer: a Gemma 4 rope_parameters nested per layer type round-trips", async () => {
  const cfg = byId("v5-gemma4-proportional-f2").config;
  const byLayer: Record<string, Parameters<typeof hfConfigFields>[0]> = {};
  for (const lt of hfLayerTypes(cfg)) {
    const r = await ropeFromHfConfig(cfg, { layerType: lt });
    byLayer[lt] = {
      strategy: r.ropeType,
      spec: r.spec,
      params: r.params,
      table: r.table,
      targetLength: r.targetLength,
    };
  }
  const { fields } = hfLayeredConfigFields(byLayer);
  const written = { ...cfg, ...fields };
  assert.deepEqual(hfLayerTypes(written), hfLayerTypes(cfg));
  for (const lt of hfLayerTypes(cfg)) {
    const a = await ropeFromHfConfig(cfg, { layerType: lt });
    const b = await ropeFromHfConfig(written, { layerType: lt });
    assert.deepEqual(Array.from(b.table.invFreq), Array.from(a.table.invFreq), lt);
    assert.equal(b.ropeType, a.ropeType);
  }
});
