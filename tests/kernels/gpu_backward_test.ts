/**
 * WGSL backward kernels against the CPU references of kernels/cpu/*_backward.ts. The references run in float64
 * on the same (float32) inputs, so the reported errors are the GPU's float32 error alone. Gradients
 * start from random values on both sides, which checks that the kernels accumulate (+=).
 */
import assert from "node:assert/strict";
import { causalAttentionRef, type RopeApply } from "../../kernels/cpu/mod.ts";
import {
  causalAttentionBackward,
  embedBackward,
  logitsNllBackward,
  matmulBackward,
  rmsnormBackward,
  ropeBackward,
  swigluBackward,
} from "../../kernels/cpu/mod.ts";
import { embedBackwardIndex } from "../../kernels/gpu/backward.ts";
import {
  runAttentionBackward,
  runEmbedBackward,
  runLogitsNllBackward,
  runMatmulBackward,
  runRmsnormBackward,
  runRopeBackward,
  runSwigluBackward,
} from "./_gpu_run_backward.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";

const TOL = 1e-4;
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

Deno.test("embedBackwardIndex groups positions by token and rejects unknown ids", () => {
  const { index, rows } = embedBackwardIndex([3, 1, 3, 0, 1, 3], 4);
  assert.equal(rows, 3);
  // offsets [0, 1, 3, 6], tokens [0, 1, 3], positions grouped by token, ascending.
  assert.deepEqual([...index], [0, 1, 3, 6, 0, 1, 3, 3, 1, 4, 0, 2, 5]);
  assert.deepEqual([...embedBackwardIndex([], 4).index], [0]);
  assert.throws(() => embedBackwardIndex([0, 4], 4), /token 4 at 1/);
});

Deno.test({
  name: "GPU matmul backward matches matmulBackward (vec4 and scalar K, bias, no dx, ragged tiles)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU matmul backward", async (ctx) => {
      // K 20 / 36 take the vec4 path, 11 the scalar one; T and N are not multiples of the 4×4 tiles
      // nor of the 8×8 workgroups (37 rows: 10 row tiles, two workgroups along rows).
      const cases: [number, number, number, boolean, boolean][] = [
        [13, 20, 7, true, true],
        [9, 11, 70, true, false],
        [37, 36, 67, false, true],
      ];
      for (const [T, K, N, withDx, withBias] of cases) {
        const dOut = random(T * N, 101), x = random(T * K, 102), w = random(N * K, 103);
        const dx0 = random(T * K, 104), dW0 = random(N * K, 105), dB0 = random(N, 106);
        const got = await runMatmulBackward(ctx, {
          dx: withDx ? dx0 : undefined,
          dW: dW0,
          dBias: withBias ? dB0 : undefined,
          dOut,
          x,
          w,
          T,
          K,
          N,
        });
        const dx = f64(dx0), dW = f64(dW0), dB = f64(dB0);
        matmulBackward({
          dx: withDx ? dx : undefined,
          dW,
          dBias: withBias ? dB : undefined,
          dOut: f64(dOut),
          x: f64(x),
          w: f64(w),
          T,
          K,
          N,
        });
        const name = `GPU matmul backward T${T} K${K} N${N}`;
        assertClose(`${name} dW`, got.dW, dW, TOL);
        if (withDx) assertClose(`${name} dx`, got.dx!, dx, TOL);
        else assert.equal(got.dx, undefined);
        if (withBias) assertClose(`${name} dBias`, got.dBias!, dB, TOL);
      }
    }),
});

Deno.test({
  name: "GPU RMSNorm backward matches rmsnormBackward (odd D, T past one workgroup)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU rmsnorm backward", async (ctx) => {
      for (const [T, D, eps] of [[7, 37, 1e-5], [70, 16, 1e-6]]) {
        const dOut = random(T * D, 111), x = random(T * D, 112, -2, 2), weight = random(D, 113, 0.5, 1.5);
        const dx0 = random(T * D, 114), dw0 = random(D, 115);
        const got = await runRmsnormBackward(ctx, { dx: dx0, dWeight: dw0, dOut, x, weight, T, D, eps });
        const dx = f64(dx0), dw = f64(dw0);
        rmsnormBackward({ dx, dWeight: dw, dOut: f64(dOut), x: f64(x), weight: f64(weight), T, D, eps });
        assertClose(`GPU rmsnorm backward T${T} D${D} dx`, got.dx, dx, TOL);
        assertClose(`GPU rmsnorm backward T${T} D${D} dWeight`, got.dWeight, dw, TOL);
      }
    }),
});

Deno.test({
  name: "GPU embedding backward matches embedBackward (repeated tokens, unused rows untouched)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU embed backward", async (ctx) => {
      const V = 23, D = 13, T = 67;
      const tokens = Int32Array.from({ length: T }, (_, t) => (t * t * 7 + 3) % 17); // ids < 17 only
      const dOut = random(T * D, 121), dTable0 = random(V * D, 122);
      const got = await runEmbedBackward(ctx, { dTable: dTable0, dOut, tokens, D });
      const want = f64(dTable0);
      embedBackward({ dTable: want, dOut: f64(dOut), tokens, D });
      assertClose("GPU embed backward", got, want, TOL);
      assert.deepEqual([...got.subarray(17 * D)], [...dTable0.subarray(17 * D)], "rows not gathered stay");
    }),
});

Deno.test({
  name:
    "GPU RoPE backward matches ropeBackward (both pairings, partial rotary, scale, start tokens, positions)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU rope backward", async (ctx) => {
      const T = 13, H = 3, hd = 12;
      const invFreq = Float64Array.from({ length: 4 }, (_, i) => 10000 ** (-i / 4));
      const full = Float64Array.from({ length: 6 }, (_, i) => 10000 ** (-i / 6));
      const cases: RopeApply[] = [
        { rotaryDim: 8, invFreq, scale: 1.3, pairing: "interleaved", positionOffset: 4000 },
        {
          rotaryDim: 8,
          invFreq: invFreq.map((f) => f / 8),
          scale: 1.1,
          pairing: "half",
          startTokens: 5,
          originalInvFreq: invFreq,
        },
        {
          rotaryDim: 8,
          invFreq,
          scale: 0.9,
          pairing: "interleaved",
          positions: Int32Array.from({ length: T }, (_, t) => t % 5),
        },
        {
          rotaryDim: 12,
          invFreq: full,
          scale: 1,
          pairing: "half",
          positions: new Int32Array(T).map((_, t) => 3 * t),
        },
      ];
      for (const p of cases) {
        const d = random(T * H * hd, 131);
        const shape = { T, nHeads: H, headDim: hd, rope: p };
        const got = await runRopeBackward(ctx, { ...shape, x: d });
        const want = f64(d);
        ropeBackward({ ...shape, x: want });
        assertClose(`GPU rope backward ${p.pairing} rd${p.rotaryDim} scale ${p.scale}`, got, want, TOL);
      }
    }),
});

Deno.test({
  name: "GPU attention backward matches causalAttentionBackward (GQA, documents, odd T, scale)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU attention backward", async (ctx) => {
      // T 13 and 70 are not multiples of the 64-row workgroups; 70 spans two. Groups of 2, 3 and 4
      // query heads per kv head, and plain MHA; headDim 64 as in llama-family models. At headDim 64
      // each dv/dk entry sums G·T ≈ 80 float32 terms whose probabilities carry the rounding of a
      // 64-term score: an exact-P float32 emulation of dv alone is already 4e-5 off the float64
      // reference there, and the kernels reach 7e-5 to 1.1e-4, hence 2e-4 for that case.
      const cases: [number, number, number, number, number | undefined, number][] = [
        [13, 4, 2, 8, undefined, TOL],
        [11, 3, 1, 12, 0.7, TOL],
        [70, 2, 2, 4, undefined, TOL],
        [21, 4, 1, 64, undefined, 2e-4],
      ];
      for (const [T, H, KV, hd, softmaxScale, tol] of cases) {
        const q = random(T * H * hd, 141, -2, 2), k = random(T * KV * hd, 142, -2, 2);
        const v = random(T * KV * hd, 143), dOut = random(T * H * hd, 144);
        const dq0 = random(T * H * hd, 145), dk0 = random(T * KV * hd, 146), dv0 = random(T * KV * hd, 147);
        for (const docStarts of [undefined, new Int32Array([0, 1, 4, Math.floor(T / 2) + 1])]) {
          const opts = { softmaxScale, docStarts };
          const out = new Float32Array(T * H * hd);
          const shape = { T, nHeads: H, nKvHeads: KV, headDim: hd, ...opts };
          causalAttentionRef({ out, q, k, v, ...shape });
          const got = await runAttentionBackward(ctx, {
            dq: dq0,
            dk: dk0,
            dv: dv0,
            dOut,
            q,
            k,
            v,
            out,
            ...shape,
          });
          const dq = f64(dq0), dk = f64(dk0), dv = f64(dv0);
          causalAttentionBackward({
            dq,
            dk,
            dv,
            dOut: f64(dOut),
            q: f64(q),
            k: f64(k),
            v: f64(v),
            out: f64(out),
            ...shape,
          });
          const name = `GPU attention backward T${T} H${H}/${KV} hd${hd}${docStarts ? " docs" : ""}`;
          assertClose(`${name} dq`, got.dq, dq, tol);
          assertClose(`${name} dk`, got.dk, dk, tol);
          assertClose(`${name} dv`, got.dv, dv, tol);
        }
      }
    }),
});

Deno.test({
  name: "GPU SwiGLU backward matches swigluBackward (n not a multiple of the workgroup, large |gate|)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU swiglu backward", async (ctx) => {
      const n = 1003;
      const dOut = random(n, 151), gate = random(n, 152, -12, 12), up = random(n, 153, -2, 2);
      const dGate0 = random(n, 154), dUp0 = random(n, 155);
      const got = await runSwigluBackward(ctx, { dGate: dGate0, dUp: dUp0, dOut, gate, up, n });
      const dGate = f64(dGate0), dUp = f64(dUp0);
      swigluBackward({ dGate, dUp, dOut: f64(dOut), gate: f64(gate), up: f64(up), n });
      assertClose("GPU swiglu backward dGate", got.dGate, dGate, TOL);
      assertClose("GPU swiglu backward dUp", got.dUp, dUp, TOL);
    }),
});

Deno.test({
  name: "GPU logits+NLL backward matches logitsNllBackward (one chunk and three vocabulary chunks)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU logits NLL backward", async (ctx) => {
      // V = 150: one chunk by default; with 64-row chunks three, the last one short, targets in each.
      const T = 7, D = 12, V = 150, lossScale = 1 / T;
      const hidden = random(T * D, 161, -2, 2), wcls = random(V * D, 162);
      const targets = new Int32Array([0, 63, 64, 149, 100, 127, 128]);
      const dh0 = random(T * D, 163, -0.1, 0.1), dw0 = random(V * D, 164, -0.1, 0.1);
      const dh = f64(dh0), dw = f64(dw0);
      const nll = logitsNllBackward({
        dHidden: dh,
        dWcls: dw,
        hidden: f64(hidden),
        wcls: f64(wcls),
        targets,
        T,
        D,
        V,
        lossScale,
      });
      for (const chunk of [undefined, 64]) {
        const got = await runLogitsNllBackward(
          ctx,
          { dHidden: dh0, dWcls: dw0, hidden, wcls, targets, T, D, V, lossScale },
          chunk,
        );
        const name = `GPU logits backward ${chunk ? "3 chunks" : "1 chunk"}`;
        assertClose(`${name} nll`, got.nll, nll, TOL);
        assertClose(`${name} dHidden`, got.dHidden, dh, TOL);
        assertClose(`${name} dWcls`, got.dWcls, dw, TOL);
      }
    }),
});
