/**
 * Gradient check of the whole model: a tiny random config (GQA, projection biases, untied or tied
 * classifier), two windows — packed documents with per-document masks and restarting positions under
 * the original RoPE, and one long window under a rescaled RoPE — and a sample of entries of every
 * tensor compared with central differences, all in float64 (see `gradcheck.ts`).
 */
import assert from "node:assert/strict";
import type { RopeApply } from "../../kernels/rope_apply.ts";
import type { LlamaConfig, LlamaWeights } from "../../model/config.ts";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { initWeights } from "../../train/init.ts";
import { forwardBackward, packedPositions, type TrainWindow } from "../../train/model_grad.ts";
import { mapWeights, parameterList } from "../../train/params.ts";
import { createRng } from "../../util/random.ts";
import { maxRelError } from "./gradcheck.ts";

const config: LlamaConfig = {
  architecture: "test",
  dim: 8,
  hiddenDim: 12,
  nLayers: 2,
  nHeads: 2,
  nKvHeads: 1,
  headDim: 4,
  vocabSize: 11,
  normEps: 1e-5,
  bosId: 1,
  eosId: 2,
};

const invFreq = (base: number) => Float64Array.from({ length: 2 }, (_, i) => base ** (-i / 2));

function windows(): TrainWindow[] {
  const rng = createRng(3);
  const tokens = (n: number) => Int32Array.from({ length: n }, () => rng.int(config.vocabSize));
  const docStarts = new Int32Array([0, 3, 7]);
  const original: RopeApply = {
    rotaryDim: 4,
    invFreq: invFreq(100),
    scale: 1,
    pairing: "interleaved",
    positions: packedPositions(9, docStarts),
  };
  const rescaled: RopeApply = { rotaryDim: 4, invFreq: invFreq(800), scale: 1.2, pairing: "interleaved" };
  return [{ tokens: tokens(10), rope: original, docStarts }, { tokens: tokens(8), rope: rescaled }];
}

const f64 = (a: Float32Array) => Float64Array.from(a) as unknown as Float32Array;
const zeros64 = (a: Float32Array) => new Float64Array(a.length) as unknown as Float32Array;

function check(name: string, weights: LlamaWeights): void {
  const w = mapWeights(weights, f64), g = mapWeights(weights, zeros64);
  const win = windows();
  const { nllSum, tokens } = forwardBackward(w, g, win, { engine: "f64" });
  const loss = () => forwardBackward(w, mapWeights(w, zeros64), win, { engine: "f64" }).nllSum / tokens;
  assert.ok(Number.isFinite(nllSum) && tokens === 16);
  const rng = createRng(4);
  const params = parameterList(w), grads = parameterList(g);
  let worst = 0;
  params.forEach((p, i) => {
    const sample = Array.from({ length: 3 }, () => rng.int(p.length));
    worst = Math.max(worst, maxRelError(loss, p as unknown as Float64Array, grads[i], sample));
  });
  console.log(`${name}: ${params.length} tensors, 3 entries each, max rel error ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5, `${name}: ${worst}`);
}

Deno.test("model gradient: untied classifier, q/k/v biases, mixed windows", () => {
  const w = initWeights(config, { seed: 1, tied: false, std: 0.5 });
  const rng = createRng(2);
  const bias = (n: number) => Float32Array.from({ length: n }, () => rng.next() - 0.5);
  for (const l of w.layers) {
    l.bq = bias(8);
    l.bk = bias(4);
    l.bv = bias(4);
    // Non-unit norm weights so their gradients are exercised away from the initial point.
    l.attnNorm.forEach((_, i) => l.attnNorm[i] = 0.5 + rng.next());
  }
  check("model (untied, biases)", w);
});

Deno.test("model gradient: tied classifier adds both uses into one tensor", () => {
  check("model (tied)", initWeights(config, { seed: 5, std: 0.5 }));
});

Deno.test("model forward agrees with the CPU backend's NLL", async () => {
  const w = initWeights(config, { seed: 6, std: 0.5 });
  const tokens = Int32Array.from([1, 5, 3, 9, 2, 7, 7, 4, 10]);
  const rope: RopeApply = { rotaryDim: 4, invFreq: invFreq(100), scale: 1, pairing: "interleaved" };
  const { nllSum, tokens: n } = forwardBackward(w, mapWeights(w, (a) => new Float32Array(a.length)), [{
    tokens,
    rope,
  }]);
  const ref = await new CpuBackend().forwardNll(w, tokens, rope);
  const refSum = ref.reduce((a, b) => a + b, 0);
  assert.equal(n, ref.length);
  assert.ok(Math.abs(nllSum - refSum) < 1e-4 * n, `${nllSum} vs ${refSum}`);
});
