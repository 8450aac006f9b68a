/** Hand-derived values for each built-in strategy (see shared/research/rope_formulas.md). */
import assert from "node:assert/strict";
import {
  buildTable,
  builtinRegistry,
  makeSpec,
  type Params,
  type RopeContext,
  type RopeSpec,
} from "../../mod.ts";

const registry = builtinRegistry();
const table = (name: string, spec: RopeSpec, ctx: RopeContext = {}, params: Params = {}) =>
  buildTable(registry.get(name), spec, ctx, params);
const close = (a: number, b: number, rel = 1e-6) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${a} != ${b} (rel ${rel})`);

const llama2 = makeSpec({ theta: 10000, headDim: 128, originalContext: 4096 });
const llama31 = makeSpec({ theta: 500000, headDim: 128, originalContext: 8192, maxPositions: 131072 });

Deno.test("default: θ=1e4, d=128 gives HF's float32 values", async () => {
  const t = await table("default", llama2);
  assert.deepEqual(Array.from(t.invFreq.slice(0, 3)), [1.0, 0.8659643530845642, 0.7498942017555237]);
  assert.equal(t.attentionScale, 1);
});

Deno.test("pi: every frequency divided by s, derived from the target", async () => {
  const base = await table("default", llama2);
  const t = await table("pi", llama2, { targetLength: 4 * 4096 });
  t.invFreq.forEach((v, i) => assert.equal(v, Math.fround(base.invFreq[i] / 4)));
  const explicit = await table("pi", llama2, {}, { factor: 4 });
  assert.deepEqual(explicit.invFreq, t.invFreq);
});

Deno.test("ntk: pair 0 untouched, the lowest frequency divided by s", async () => {
  const base = await table("default", llama2);
  const t = await table("ntk", llama2, {}, { factor: 8 });
  assert.equal(t.invFreq[0], 1);
  close(base.invFreq[63] / t.invFreq[63], 8, 1e-5);
});

Deno.test("dynamic-ntk: original within M, base·3^(d/(d−2)) at 2M with s=2", async () => {
  const base = await table("default", llama2);
  const within = await table("dynamic-ntk", llama2, { seqLen: 4096 }, { factor: 2 });
  assert.deepEqual(within.invFreq, base.invFreq);
  assert.equal(within.lengthDependent, true);
  const at2M = await table("dynamic-ntk", llama2, { seqLen: 8192 }, { factor: 2 });
  const theta2 = 10000 * Math.pow(3, 128 / 126);
  close(at2M.invFreq[10], Math.pow(theta2, -20 / 128), 1e-6);
});

Deno.test("yarn: θ=1e4, d=128, O=4096 keeps pairs ≤ 20, divides pairs ≥ 46, factor 1.2079…", async () => {
  const base = await table("default", llama2);
  const t = await table("yarn", llama2, {}, { factor: 8 });
  assert.equal(t.attentionScale, 1.2079441541679836);
  for (let i = 0; i <= 20; i++) assert.equal(t.invFreq[i], base.invFreq[i]);
  for (let i = 46; i < 64; i++) close(t.invFreq[i], base.invFreq[i] / 8, 2e-7);
  for (let i = 21; i < 46; i++) {
    assert.ok(t.invFreq[i] < base.invFreq[i] && t.invFreq[i] > base.invFreq[i] / 8);
  }
});

Deno.test("yarn: explicit attention_factor and DeepSeek mscale pairs", async () => {
  assert.equal((await table("yarn", llama2, {}, { factor: 8, attention_factor: 0.5 })).attentionScale, 0.5);
  const ds = await table("yarn", llama2, {}, { factor: 40, mscale: 1, mscale_all_dim: 1 });
  assert.equal(ds.attentionScale, 1);
  const one = await table("yarn", llama2, {}, { factor: 40, mscale: 0.707 });
  close(one.attentionScale, 0.1 * Math.log(40) + 1, 1e-15);
});

Deno.test("yarn: truncate=false keeps a fractional ramp (gpt-oss: low 8.09, high 17.40)", async () => {
  const gptOss = makeSpec({ theta: 150000, headDim: 64, originalContext: 4096 });
  const base = await table("default", gptOss);
  const t = await table("yarn", gptOss, {}, { factor: 32, truncate: false });
  // Pair 8 sits just below low = 8.0928: unchanged. Pair 9 is already mixed.
  assert.equal(t.invFreq[8], base.invFreq[8]);
  assert.ok(t.invFreq[9] < base.invFreq[9]);
  const truncated = await table("yarn", gptOss, {}, { factor: 32 });
  assert.notDeepEqual(truncated.invFreq, t.invFreq);
});

Deno.test("llama3: Llama-3.1 keeps pairs 0–28, smooths 29–34, divides 35–63 by 8", async () => {
  const base = await table("default", llama31);
  const t = await table("llama3", llama31, {}, { factor: 8, low_freq_factor: 1, high_freq_factor: 4 });
  for (let i = 0; i <= 28; i++) assert.equal(t.invFreq[i], base.invFreq[i]);
  for (let i = 29; i <= 34; i++) {
    assert.ok(t.invFreq[i] < base.invFreq[i] && t.invFreq[i] > base.invFreq[i] / 8, `${i}`);
  }
  for (let i = 35; i < 64; i++) assert.equal(t.invFreq[i], Math.fround(base.invFreq[i] / 8));
  assert.equal(t.attentionScale, 1);
});

const phi4Long = [
  1,
  1.118320672,
  1.250641126,
  1.398617824,
  1.564103225,
  1.74916897,
  1.956131817,
  2.187582649,
  2.446418898,
  2.735880826,
  3.059592084,
  3.421605075,
  3.826451687,
  4.279200023,
  4.785517845,
  5.351743533,
  5.984965424,
  6.693110555,
  7.485043894,
  8.370679318,
  9.36110372,
  10.4687158,
  11.70738129,
  13.09260651,
  14.64173252,
  16.37415215,
  18.31155283,
  20.47818807,
  22.90118105,
  25.61086418,
  28.64115884,
  32.03,
  32.1,
  32.13,
  32.23,
  32.6,
  32.61,
  32.64,
  32.66,
  32.7,
  32.71,
  32.93,
  32.97,
  33.28,
  33.49,
  33.5,
  44.16,
  47.77,
];
const phi4 = makeSpec({
  theta: 10000,
  headDim: 128,
  rotaryDim: 96,
  originalContext: 4096,
  maxPositions: 131072,
});

Deno.test("longrope: Phi-4-mini golden values and the switch at L0", async () => {
  const t = await table("longrope", phi4, {}, { long_factor: phi4Long });
  close(t.attentionScale, 1.1902380714238083, 1e-15);
  // Exact float32 results of HF's formula (checked with torch), and the spec's rounded goldens.
  assert.equal(t.invFreq[1], 0.7380746603012085);
  assert.equal(t.invFreq[31], 8.149103086907417e-05);
  assert.equal(t.invFreq[47], 2.5361680400237674e-06);
  close(t.invFreq[31], 8.1491015e-05, 3e-7);
  close(t.short!.invFreq[1], 0.8254041853, 1e-7);
  assert.equal(t.switchLength, 4096);
  const { resolveFrequencies } = await import("../../mod.ts");
  assert.equal(resolveFrequencies(t, 4096).choice, "short");
  assert.equal(resolveFrequencies(t, 4097).choice, "long");
});

Deno.test("longrope: start tokens carry the original frequencies", async () => {
  const t = await table("longrope", phi4, {}, { long_factor: phi4Long, start_tokens: 4 });
  assert.equal(t.startTokens, 4);
  assert.deepEqual(t.original, (await table("default", phi4)).invFreq);
  await assert.rejects(
    table("longrope", phi4, {}, { long_factor: [1, 2] }),
    /"long_factor" has 2 entries, expected rotary_dim\/2 = 48/,
  );
});

Deno.test("longrope2: NTK-left below k, given factors above, original RoPE within L0", async () => {
  const k = 31;
  const t = await table("longrope2", phi4, {}, { long_factor: phi4Long, critical_index: k });
  const base = await table("default", phi4);
  const lambdaK = phi4Long[k];
  for (let i = 0; i < phi4Long.length; i++) {
    const lambda = i < k ? Math.pow(lambdaK, i / k) : phi4Long[i];
    close(base.invFreq[i] / t.invFreq[i], lambda, 2e-7);
  }
  // Phi-4-mini's shipped factors are exactly this shape with k = 31 (longrope_spec.md §5.13).
  for (let i = 0; i < k; i++) close(phi4Long[i], Math.pow(32.03, i / 31), 1e-6);
  assert.deepEqual(t.short!.invFreq, base.invFreq);
  assert.equal(t.short!.attentionScale, 1);
  close(t.attentionScale, 1.1902380714238083, 1e-15);
});

Deno.test("longrope2: original_within_l0=false rescales every length (models tuned without mixed windows)", async () => {
  const mixed = await table("longrope2", phi4, {}, { long_factor: phi4Long });
  const plain = await table("longrope2", phi4, {}, { long_factor: phi4Long, original_within_l0: false });
  assert.deepEqual(plain.invFreq, mixed.invFreq);
  assert.equal(plain.attentionScale, mixed.attentionScale);
  assert.equal(plain.short, undefined);
  assert.equal(plain.switchLength, undefined);
});

Deno.test("longrope2: defaults need no search (k = ⌈x⌉−1, upper factors = s)", async () => {
  const t = await table("longrope2", llama31, { targetLength: 131072 });
  const base = await table("default", llama31);
  // LLaMA3-8B: d_tcd = 35, so k = 34; factor s = 16 from the target.
  close(base.invFreq[34] / t.invFreq[34], 16, 2e-7);
  close(base.invFreq[63] / t.invFreq[63], 16, 2e-7);
  close(base.invFreq[17] / t.invFreq[17], Math.pow(16, 17 / 34), 2e-7);
  await assert.rejects(
    table("longrope2", llama31, {}, { critical_index: 64 }),
    /critical_index" = 64 must lie in \[1, 63\]/,
  );
});

Deno.test("parameters: unknown names and out-of-range values are refused with the name", async () => {
  await assert.rejects(
    table("yarn", llama2, {}, { factr: 4 }),
    /Strategy "yarn": unknown parameter "factr" \(known: factor/,
  );
  await assert.rejects(table("yarn", llama2, {}, { factor: -1 }), /parameter "factor" = -1 is out of range/);
  await assert.rejects(table("yarn", llama2, {}, { factor: NaN }), /must be a finite number/);
  await assert.rejects(table("default", llama2, {}, { factor: 2 }), /it takes no parameters/);
  assert.throws(() => registry.get("nope"), /Unknown strategy "nope" \(known: default, pi/);
});
