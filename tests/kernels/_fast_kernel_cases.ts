/**
 * The checks every build of ropekit.c passes against the TypeScript references, registered once per
 * kernel set: the native library (native_test.ts, native_backward_test.ts) and its WebAssembly build
 * (wasm_test.ts). Awkward sizes (tails in rows, columns and K), GQA, head dims 8/5/16/32/64, document
 * masks, and tolerances the native kernels meet.
 */
import assert from "node:assert/strict";
import { causalAttentionRef, matmulRef } from "../../kernels/cpu/mod.ts";
import type { AttentionOptions } from "../../kernels/cpu/attention.ts";
import {
  attentionBackwardNative,
  logitsNllBackwardNative,
  matmulBackwardNative,
  matmulTrainNative,
} from "../../kernels/native/backward.ts";
import type { NativeSymbols } from "../../kernels/native/lib.ts";
import { causalAttentionNative, matmulNative } from "../../kernels/native/mod.ts";
import { causalAttentionBackward, logitsNllBackward, matmulBackward } from "../../kernels/cpu/mod.ts";
import { initWeights } from "../../train/init.ts";
import { forwardBackward, type TrainWindow } from "../../train/model_grad.ts";
import type { TrainEngine } from "../../train/ops.ts";
import { mapWeights, parameterList } from "../../train/params.ts";
import { createRng } from "../../util/random.ts";
import { assertClose, random } from "./_util.ts";

/**
 * Attention cases [T, nHeads, nKvHeads, headDim]: GQA, odd head dims and lengths, head dims 8/32/64/128,
 * more rows than a work item and key blocks that end mid-panel.
 */
export const ATTENTION_CASES: [number, number, number, number][] = [
  [1, 1, 1, 8],
  [9, 4, 2, 5],
  [301, 8, 4, 8],
  [70, 2, 1, 64],
  [600, 3, 3, 16],
  [333, 4, 2, 32],
  [97, 2, 2, 128],
  [163, 4, 1, 64],
];

/**
 * Attention outputs vs the float64 reference. The float32 scores of a 64-channel dot product at softmax
 * scale 0.3 carry ~1e-6 absolute rounding, so outputs near zero are off by ~2e-7 of max|out| whatever
 * the kernel (the previous native kernel measured 1.3e-4 on the window-7 document case): 2e-4, growing
 * with the dot product's length past 64 channels.
 */
function attentionTolerance(hd: number): number {
  return 2e-4 * Math.max(1, hd / 64);
}

/** Sliding windows tried on every attention case: one key, shorter than a block, longer than T. */
export const ATTENTION_WINDOWS = [1, 7, 50, 100000];

/** Forward kernels: matmul, attention (plain and packed documents with a custom scale), exp. */
export function forwardKernelTests(label: string, nk: NativeSymbols | null): void {
  Deno.test({
    name: `${label} matmul matches matmulRef (tails in rows, columns and K; bias)`,
    ignore: !nk,
    fn: () => {
      for (const [T, K, N] of [[1, 1, 1], [7, 13, 17], [73, 64, 130], [5, 257, 31], [150, 96, 16]]) {
        const x = random(T * K, T + K), w = random(N * K, N), bias = random(N, 7);
        const want = new Float32Array(T * N), got = new Float32Array(T * N);
        const args = { x, w, bias, T, K, N };
        matmulRef({ ...args, out: want });
        matmulNative({ ...args, out: got }, nk!);
        assertClose(`matmul ${T}×${K}×${N}`, got, want, 1e-4);
      }
    },
  });

  Deno.test({
    name: `${label} attention matches causalAttentionRef (GQA, head dims 5–128, documents, windows, scale)`,
    ignore: !nk,
    fn: () => {
      for (const [T, H, KV, hd] of ATTENTION_CASES) {
        // Logits up to ~±3 (q, k in [−1, 1)): with ±20 (inputs in [−2, 2)) f32 rounding of the scores alone
        // gives ~5e-7 absolute error, 2e-4 relative on outputs that cancel to near zero.
        const q = random(T * H * hd, T), k = random(T * KV * hd, T + 1);
        const v = random(T * KV * hd, T + 2);
        const want = new Float32Array(T * H * hd), got = new Float32Array(T * H * hd);
        const args = { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd };
        causalAttentionRef({ ...args, out: want });
        causalAttentionNative({ ...args, out: got }, nk!);
        assertClose(`attention T${T} H${H} KV${KV} hd${hd}`, got, want, attentionTolerance(hd));
        const docs = {
          docStarts: new Int32Array([0, Math.floor(T / 3), Math.floor(T / 2) + 1]),
          softmaxScale: 0.3,
        };
        causalAttentionRef({ ...args, ...docs, out: want });
        causalAttentionNative({ ...args, ...docs, out: got }, nk!);
        assertClose(`attention docs T${T} H${H} KV${KV} hd${hd}`, got, want, attentionTolerance(hd));
        for (const window of ATTENTION_WINDOWS) {
          for (const masks of [{ window } as AttentionOptions, { ...docs, window }]) {
            causalAttentionRef({ ...args, ...masks, out: want });
            got.fill(NaN);
            causalAttentionNative({ ...args, ...masks, out: got }, nk!);
            const what = masks.docStarts ? " docs" : "";
            assertClose(
              `attention window ${window}${what} T${T} H${H} KV${KV} hd${hd}`,
              got,
              want,
              attentionTolerance(hd),
            );
          }
        }
      }
    },
  });

  Deno.test({
    name: `${label} attention's reused KV buffer: NaN keys and values of a larger call do not reach the next`,
    ignore: !nk,
    fn: () => {
      // causalAttentionNative copies k and v into one buffer per kernel set, reused: the second call's key
      // panel past T (T = 37 ends mid-panel) still holds the first call's NaN keys, which must stay masked.
      const poisoned = (n: number) => new Float32Array(n).fill(NaN);
      const first = { T: 100, nHeads: 4, nKvHeads: 2, headDim: 32 };
      const n1 = first.T * first.nKvHeads * first.headDim;
      causalAttentionNative({
        ...first,
        q: random(first.T * first.nHeads * first.headDim, 1),
        k: poisoned(n1),
        v: poisoned(n1),
        out: new Float32Array(first.T * first.nHeads * first.headDim),
      }, nk!);
      const [T, H, KV, hd] = [37, 2, 1, 32];
      const args = { q: random(T * H * hd, 2), k: random(T * KV * hd, 3), v: random(T * KV * hd, 4), T };
      const shape = { nHeads: H, nKvHeads: KV, headDim: hd };
      const want = new Float32Array(T * H * hd), got = new Float32Array(T * H * hd);
      causalAttentionRef({ ...args, ...shape, out: want });
      causalAttentionNative({ ...args, ...shape, out: got }, nk!);
      assertClose(
        `attention after a poisoned call T${T} H${H} KV${KV} hd${hd}`,
        got,
        want,
        attentionTolerance(hd),
      );
    },
  });

  Deno.test({
    name: `${label} exp is accurate over the softmax range and saturates to 0 / inf`,
    ignore: !nk,
    fn: () => {
      const x = Float32Array.from({ length: 4001 }, (_, i) => -100 + i * 0.047);
      const got = new Float32Array(x.length);
      nk!.rk_exp_array(got, x, x.length);
      assertClose("exp", got, x.map((v) => Math.exp(v)), 1e-6);
      const edge = new Float32Array([-Infinity, 100, NaN]);
      nk!.rk_exp_array(got, edge, 3);
      if (got[0] !== 0 || got[1] !== Infinity || !Number.isNaN(got[2])) {
        throw new Error(`edges ${got.slice(0, 3)}`);
      }
    },
  });
}

/** Training kernels against the gradient-checked references, and a whole pass on `engine` against f64. */
export function backwardKernelTests(label: string, nk: NativeSymbols | null, engine: TrainEngine): void {
  Deno.test({
    name: `${label} matmul backward matches matmulBackward (dx, dW, dBias accumulate; tails)`,
    ignore: !nk,
    fn: () => {
      for (const [T, K, N] of [[1, 1, 1], [7, 13, 17], [73, 64, 130], [37, 257, 31]]) {
        const x = random(T * K, T + K), w = random(N * K, N), dOut = random(T * N, 5);
        const start = (n: number, s: number) => random(n, s);
        const want = { dx: start(T * K, 1), dW: start(N * K, 2), dB: start(N, 3) };
        const got = { dx: start(T * K, 1), dW: start(N * K, 2), dB: start(N, 3) };
        const args = { dOut, x, w, T, K, N };
        matmulBackward({ ...args, dx: want.dx, dW: want.dW, dBias: want.dB });
        matmulBackwardNative({ ...args, dx: got.dx, dW: got.dW, dBias: got.dB }, nk!);
        assertClose(`dx ${T}×${K}×${N}`, got.dx, want.dx, 1e-4);
        assertClose(`dW ${T}×${K}×${N}`, got.dW, want.dW, 1e-4);
        assertClose(`dBias ${T}×${K}×${N}`, got.dB, want.dB, 1e-4);
        // The forward repacks every call: a weight changed in place must be seen.
        const out = new Float32Array(T * N), again = new Float32Array(T * N);
        matmulTrainNative({ out, x, w, T, K, N }, nk!);
        w[0] += 1;
        matmulTrainNative({ out: again, x, w, T, K, N }, nk!);
        assert.notEqual(again[0], out[0]);
      }
    },
  });

  Deno.test({
    name: `${label} attention backward matches causalAttentionBackward (GQA, documents, head dims 8/5/32)`,
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
        const forward = { out, q, k, v, T, nHeads: H, nKvHeads: Hkv, headDim: hd, docStarts };
        causalAttentionRef(forward);
        const grads = () => ({
          dq: random(T * H * hd, 5),
          dk: random(T * Hkv * hd, 6),
          dv: random(T * Hkv * hd, 7),
        });
        const want = grads(), got = grads();
        causalAttentionBackward({ ...forward, ...want, dOut });
        attentionBackwardNative({ ...forward, ...got, dOut }, nk!);
        const name = `attention T${T} H${H}/${Hkv} hd${hd}${docStarts ? " docs" : ""}`;
        assertClose(`${name} dq`, got.dq, want.dq, 1e-4);
        assertClose(`${name} dk`, got.dk, want.dk, 1e-4);
        assertClose(`${name} dv`, got.dv, want.dv, 1e-4);
      }
    },
  });

  Deno.test({
    name: `${label} LM head + NLL backward matches logitsNllBackward`,
    ignore: !nk,
    fn: () => {
      for (const [T, D, V] of [[1, 4, 3], [13, 16, 260], [67, 64, 1024]]) {
        const h = random(T * D, 1), w = random(V * D, 2);
        const targets = Int32Array.from({ length: T }, (_, i) => (i * 7919) % V);
        const want = { dh: random(T * D, 3), dW: random(V * D, 4) },
          got = { dh: random(T * D, 3), dW: random(V * D, 4) };
        const args = { hidden: h, wcls: w, targets, T, D, V, lossScale: 0.1 };
        const nllWant = logitsNllBackward({ ...args, dHidden: want.dh, dWcls: want.dW });
        const nllGot = logitsNllBackwardNative({ ...args, dHidden: got.dh, dWcls: got.dW }, nk!);
        assertClose(`nll T${T} V${V}`, Float32Array.from(nllGot), Float32Array.from(nllWant), 1e-5);
        assertClose(`dHidden T${T} V${V}`, got.dh, want.dh, 1e-4);
        assertClose(`dWcls T${T} V${V}`, got.dW, want.dW, 1e-4);
      }
      const bad = () =>
        logitsNllBackwardNative({
          dHidden: new Float32Array(4),
          dWcls: new Float32Array(12),
          hidden: random(4, 1),
          wcls: random(12, 2),
          targets: new Int32Array([3]),
          T: 1,
          D: 4,
          V: 3,
          lossScale: 1,
        }, nk!);
      assert.throws(bad, /outside the vocabulary/);
    },
  });

  Deno.test({
    name:
      `a training pass on the ${engine} engine matches the f64 reference engine (packed docs + long window)`,
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
      const got = forwardBackward(w, g32, wins, { engine });
      const rel = Math.abs(got.nllSum - ref.nllSum) / Math.abs(ref.nllSum);
      console.log(`${engine} vs f64: loss rel error ${rel.toExponential(2)}`);
      assert.ok(rel < 1e-5);
      const want = parameterList(g64), have = parameterList(g32);
      want.forEach((g, i) => assertClose(`parameter ${i}`, have[i], Float32Array.from(g), 2e-3));
    },
  });
}
