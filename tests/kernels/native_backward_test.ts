/**
 * Native training kernels (kernels/native/backward.ts) against the gradient-checked references in
 * kernels/cpu/*_backward.ts, on awkward sizes; and a whole training pass on the native engine against the f64
 * reference engine. Skipped, with a message, when the native library is not built.
 */
import assert from "node:assert/strict";
import { causalAttentionRef } from "../../kernels/cpu/mod.ts";
import {
  attentionBackwardNative,
  logitsNllBackwardNative,
  matmulBackwardNative,
  matmulTrainNative,
} from "../../kernels/native/backward.ts";
import { nativeKernels, nativeStatus } from "../../kernels/native/mod.ts";
import { causalAttentionBackward, logitsNllBackward, matmulBackward } from "../../kernels/cpu/mod.ts";
import { initWeights } from "../../train/init.ts";
import { forwardBackward, type TrainWindow } from "../../train/model_grad.ts";
import { mapWeights, parameterList } from "../../train/params.ts";
import { createRng } from "../../util/random.ts";
import { assertClose, random } from "./_util.ts";

const nk = nativeKernels();
if (!nk) console.log(`SKIP native training kernel tests: ${nativeStatus()}`);

Deno.test({
  name: "native matmul backward matches matmulBackward (dx, dW, dBias accumulate; tails)",
  ignore: !nk,
  fn: () => {
    for (const [T, K, N] of [[1, 1, 1], [7, 13, 17], [73, 64, 130], [37, 257, 31]]) {
      const x = random(T * K, T + K), w = random(N * K, N), dOut = random(T * N, 5);
      const start = (n: number, s: number) => random(n, s);
      const want = { dx: start(T * K, 1), dW: start(N * K, 2), dB: start(N, 3) };
      const got = { dx: start(T * K, 1), dW: start(N * K, 2), dB: start(N, 3) };
      matmulBackward(want.dx, want.dW, want.dB, dOut, x, w, T, K, N);
      matmulBackwardNative(got.dx, got.dW, got.dB, dOut, x, w, T, K, N);
      assertClose(`dx ${T}×${K}×${N}`, got.dx, want.dx, 1e-4);
      assertClose(`dW ${T}×${K}×${N}`, got.dW, want.dW, 1e-4);
      assertClose(`dBias ${T}×${K}×${N}`, got.dB, want.dB, 1e-4);
      // The forward repacks every call: a weight changed in place must be seen.
      const out = new Float32Array(T * N), again = new Float32Array(T * N);
      matmulTrainNative(out, x, w, T, K, N);
      w[0] += 1;
      matmulTrainNative(again, x, w, T, K, N);
      assert.notEqual(again[0], out[0]);
    }
  },
});

Deno.test({
  name: "native attention backward matches causalAttentionBackward (GQA, documents, head dims 8/5/32)",
  ignore: !nk,
  fn: () => {
    const cases: [number, number, number, number, Int32Array?][] = [
      [1, 1, 1, 8],
      [9, 4, 2, 5],
      [70, 4, 4, 32, new Int32Array([0, 20, 21, 50])],
      [130, 6, 2, 8, new Int32Array([5, 64])],
    ];
    for (const [T, H, Hkv, hd, docStarts] of cases) {
      const q = random(T * H * hd, 1), k = random(T * Hkv * hd, 2), v = random(T * Hkv * hd, 3);
      const out = new Float32Array(T * H * hd), dOut = random(T * H * hd, 4);
      causalAttentionRef(out, q, k, v, T, H, Hkv, hd, { docStarts });
      const grads = () => ({
        dq: random(T * H * hd, 5),
        dk: random(T * Hkv * hd, 6),
        dv: random(T * Hkv * hd, 7),
      });
      const want = grads(), got = grads();
      causalAttentionBackward(want.dq, want.dk, want.dv, dOut, q, k, v, out, T, H, Hkv, hd, { docStarts });
      attentionBackwardNative(got.dq, got.dk, got.dv, dOut, q, k, v, out, T, H, Hkv, hd, { docStarts });
      const label = `attention T${T} H${H}/${Hkv} hd${hd}${docStarts ? " docs" : ""}`;
      assertClose(`${label} dq`, got.dq, want.dq, 1e-4);
      assertClose(`${label} dk`, got.dk, want.dk, 1e-4);
      assertClose(`${label} dv`, got.dv, want.dv, 1e-4);
    }
  },
});

Deno.test({
  name: "native LM head + NLL backward matches logitsNllBackward",
  ignore: !nk,
  fn: () => {
    for (const [T, D, V] of [[1, 4, 3], [13, 16, 260], [67, 64, 1024]]) {
      const h = random(T * D, 1), w = random(V * D, 2);
      const targets = Int32Array.from({ length: T }, (_, i) => (i * 7919) % V);
      const want = { dh: random(T * D, 3), dW: random(V * D, 4) },
        got = { dh: random(T * D, 3), dW: random(V * D, 4) };
      const nllWant = logitsNllBackward(want.dh, want.dW, h, w, targets, T, D, V, 0.1);
      const nllGot = logitsNllBackwardNative(got.dh, got.dW, h, w, targets, T, D, V, 0.1);
      assertClose(`nll T${T} V${V}`, Float32Array.from(nllGot), Float32Array.from(nllWant), 1e-5);
      assertClose(`dHidden T${T} V${V}`, got.dh, want.dh, 1e-4);
      assertClose(`dWcls T${T} V${V}`, got.dW, want.dW, 1e-4);
    }
    assert.throws(
      () =>
        logitsNllBackwardNative(
          new Float32Array(4),
          new Float32Array(12),
          random(4, 1),
          random(12, 2),
          new Int32Array([3]),
          1,
          4,
          3,
          1,
        ),
      /outside the vocabulary/,
    );
  },
});

Deno.test({
  name: "a training pass on the native engine matches the f64 reference engine (packed docs + long window)",
  ignore: !nk,
  fn: () => {
    const config = {
      architecture: "test",
      dim: 64,
      hiddenDim: 96,
      nLayers: 2,
      nHeads: 2,
      nKvHeads: 1,
      headDim: 32,
      vocabSize: 50,
      normEps: 1e-5,
      bosId: 1,
      eosId: 2,
    };
    const w = initWeights(config, { seed: 3, tied: false });
    const rng = createRng(9);
    const tokens = (n: number) => Int32Array.from({ length: n }, () => rng.int(config.vocabSize));
    const invFreq = Float32Array.from({ length: 16 }, (_, i) => 10000 ** (-i / 16));
    const wins: TrainWindow[] = [
      {
        tokens: tokens(41),
        rope: { rotaryDim: 32, invFreq, scale: 1, pairing: "interleaved" },
        docStarts: new Int32Array([0, 17]),
      },
      {
        tokens: tokens(97),
        rope: { rotaryDim: 32, invFreq: invFreq.map((f) => f / 4), scale: 1.1, pairing: "interleaved" },
      },
    ];
    const f64 = (a: Float32Array) => Float64Array.from(a) as unknown as Float32Array;
    const g64 = mapWeights(w, (a) => new Float64Array(a.length) as unknown as Float32Array);
    const g32 = mapWeights(w, (a) => new Float32Array(a.length));
    const ref = forwardBackward(mapWeights(w, f64), g64, wins, { engine: "f64" });
    const nat = forwardBackward(w, g32, wins, { engine: "native" });
    const rel = Math.abs(nat.nllSum - ref.nllSum) / Math.abs(ref.nllSum);
    console.log(`native vs f64: loss rel error ${rel.toExponential(2)}`);
    assert.ok(rel < 1e-5);
    const want = parameterList(g64), got = parameterList(g32);
    want.forEach((g, i) => assertClose(`parameter ${i}`, got[i], Float32Array.from(g), 2e-3));
  },
});
