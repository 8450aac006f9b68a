import assert from "node:assert/strict";
import { causalAttentionRef } from "../../kernels/cpu/mod.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";
import { runAttention } from "./_gpu_run.ts";
import type { AttentionArgs } from "../../kernels/cpu/attention.ts";
import { attentionKernel, LARGE_BLOCK_MIN_ROWS } from "../../kernels/gpu/attention.ts";
import { gpuKernelVariant } from "../../kernels/gpu/variant.ts";

/** Obvious attention: full T×T scores, masked, softmaxed, times V (tests only). */
function naiveAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  T: number,
  H: number,
  KV: number,
  hd: number,
  docOf: (t: number) => number,
): Float64Array {
  const out = new Float64Array(T * H * hd);
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / KV));
    for (let t = 0; t < T; t++) {
      const scores = [];
      for (let s = 0; s < T; s++) {
        let d = 0;
        for (let c = 0; c < hd; c++) d += q[(t * H + h) * hd + c] * k[(s * KV + g) * hd + c];
        scores.push(s <= t && docOf(s) === docOf(t) ? d / Math.sqrt(hd) : -Infinity);
      }
      const max = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - max));
      const z = e.reduce((a, b) => a + b, 0);
      for (let s = 0; s < T; s++) {
        for (let c = 0; c < hd; c++) out[(t * H + h) * hd + c] += (e[s] / z) * v[(s * KV + g) * hd + c];
      }
    }
  }
  return out;
}

Deno.test("causalAttentionRef: first row copies v, second averages equal scores", () => {
  // q·k = 0 everywhere, so row 1 weighs rows 0 and 1 equally.
  const q = new Float32Array(4), k = new Float32Array(4);
  const v = new Float32Array([1, 2, 3, 6]);
  const out = new Float32Array(4);
  causalAttentionRef({ out, q, k, v, T: 2, nHeads: 1, nKvHeads: 1, headDim: 2 });
  assert.deepEqual([...out], [1, 2, 2, 4]);
});

Deno.test("causalAttentionRef matches full softmax, with GQA and document masks", () => {
  const T = 9, H = 4, KV = 2, hd = 5;
  const q = random(T * H * hd, 1, -2, 2), k = random(T * KV * hd, 2, -2, 2), v = random(T * KV * hd, 3);
  const out = new Float32Array(T * H * hd);
  const args = { out, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd };
  causalAttentionRef(args);
  assertClose("attention causal", out, naiveAttention(q, k, v, T, H, KV, hd, () => 0), 1e-5);
  causalAttentionRef({ ...args, docStarts: new Int32Array([0, 4, 6]) });
  const docOf = (t: number) => (t < 4 ? 0 : t < 6 ? 1 : 2);
  assertClose("attention docs", out, naiveAttention(q, k, v, T, H, KV, hd, docOf), 1e-5);
});

Deno.test("causalAttentionRef honours softmaxScale (0 gives a running mean of v)", () => {
  const T = 3, q = random(T * 2, 4), k = random(T * 2, 5);
  const v = new Float32Array([3, 0, 6, 3, 0, 9]);
  const out = new Float32Array(T * 2);
  causalAttentionRef({ out, q, k, v, T, nHeads: 1, nKvHeads: 1, headDim: 2, softmaxScale: 0 });
  assertClose("mean", out, [3, 0, 4.5, 1.5, 3, 4], 1e-6);
});

Deno.test({
  name:
    "GPU attention matches causalAttentionRef (GQA, odd T, documents, windows, small and large row blocks)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU attention", async (ctx) => {
      // Short calls take the small block: headDim 8 runs 2 rows per invocation, 68 runs 1; T = 11 is not a
      // multiple of rows or key blocks. From LARGE_BLOCK_MIN_ROWS rows on, headDim 16 runs 16 rows per
      // invocation (128 per workgroup; T = 530 is not a multiple). hd 16 keeps that pipeline's compile short.
      const L = LARGE_BLOCK_MIN_ROWS + 18;
      const cases: [number, number, number, number, Pick<AttentionArgs, "docStarts" | "window">[]][] = [
        [11, 4, 2, 8, [{}, { docStarts: new Int32Array([0, 3, 5]) }]],
        [7, 2, 1, 68, [{}, { docStarts: new Int32Array([0, 3, 5]) }]],
        [L, 4, 2, 16, [{}, { docStarts: new Int32Array([0, 130, 301]), window: 97 }]],
      ];
      for (const [T, H, KV, hd, maskSets] of cases) {
        const q = random(T * H * hd, 21, -2, 2),
          k = random(T * KV * hd, 22, -2, 2),
          v = random(T * KV * hd, 23);
        for (const masks of maskSets) {
          const want = new Float32Array(T * H * hd);
          const args = { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd, ...masks };
          causalAttentionRef({ ...args, out: want });
          const got = await runAttention(ctx, args);
          const kernel = attentionKernel(ctx, args, gpuKernelVariant(ctx));
          if (gpuKernelVariant(ctx) === "registers") {
            assert.equal(kernel.split(" ")[0], T >= LARGE_BLOCK_MIN_ROWS ? "texel" : "storage", kernel);
          }
          assertClose(
            `GPU attention T${T} H${H}/${KV} hd${hd} ${JSON.stringify(masks)} (${kernel})`,
            got,
            want,
            1e-4,
          );
        }
      }
    }),
});

Deno.test({
  name: "GPU attention, both kernel families, matches causalAttentionRef (GQA, odd T, documents, windows)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU attention variants", async (ctx) => {
      // T = 75 spans two 64-row workgroups of the tiled kernel and a partial key tile. Few shapes: each
      // one compiles 4 pipelines, seconds each on a software adapter.
      for (const [T, H, KV, hd] of [[75, 4, 2, 8], [70, 2, 1, 64]]) {
        const q = random(T * H * hd, 31), k = random(T * KV * hd, 32), v = random(T * KV * hd, 33);
        for (const masks of [{ window: 5 }, { docStarts: new Int32Array([0, 20, 41]), window: 9 }]) {
          const want = new Float32Array(T * H * hd);
          const args = { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd, ...masks };
          causalAttentionRef({ ...args, out: want });
          for (const variant of ["registers", "tiled"] as const) {
            const got = await runAttention(ctx, args, variant);
            assertClose(
              `GPU ${variant} attention T${T} H${H}/${KV} hd${hd} ${JSON.stringify(masks)}`,
              got,
              want,
              2e-4,
            );
          }
        }
      }
    }),
});
