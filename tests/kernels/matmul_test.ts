import assert from "node:assert/strict";
import { matmulRef } from "../../kernels/cpu/mod.ts";
import { assertClose, random } from "./_util.ts";
import { gpuF16Test, gpuTest, withGpu } from "./_gpu.ts";
import { runKernel, runMatmul } from "./_gpu_run.ts";
import { encodeMatmul, LARGE_CALL_MIN_ROWS, matmulKernel } from "../../kernels/gpu/matmul.ts";
import { TEXEL_ROW } from "../../kernels/gpu/texels.ts";
import { readBuffer, upload } from "../../kernels/gpu/context.ts";

function naiveMatmul(x: Float32Array, w: Float32Array, T: number, K: number, N: number, bias?: Float32Array) {
  const out = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += x[t * K + k] * w[n * K + k];
      out[t * N + n] = s;
    }
  }
  return out;
}

Deno.test("matmulRef: hand-checked 2×2 with bias", () => {
  const out = new Float32Array(4);
  // x = [[1,2],[3,4]], W = [[1,0],[1,1]] (rows are outputs), bias = [10, 20].
  matmulRef({
    out,
    x: new Float32Array([1, 2, 3, 4]),
    w: new Float32Array([1, 0, 1, 1]),
    bias: new Float32Array([10, 20]),
    T: 2,
    K: 2,
    N: 2,
  });
  assert.deepEqual([...out], [11, 23, 13, 27]);
});

Deno.test("matmulRef matches the naive triple loop on awkward sizes", () => {
  for (const [T, K, N] of [[1, 1, 1], [5, 7, 3], [9, 13, 6], [4, 8, 4], [11, 33, 17]]) {
    const x = random(T * K, T), w = random(N * K, K), bias = random(N, N);
    const out = new Float32Array(T * N);
    matmulRef({ out, x, w, T, K, N, bias });
    assertClose(`matmulRef ${T}×${K}×${N}`, out, naiveMatmul(x, w, T, K, N, bias), 1e-6);
  }
});

Deno.test({
  name: "GPU matmul matches matmulRef on awkward sizes",
  ...gpuTest,
  fn: () =>
    withGpu("GPU matmul", async (ctx) => {
      // 13×68×77: rows and columns not multiples of the 16×8 block; K % 4 = 0 (vec4 path).
      // 9×30×70: K % 4 = 2 (scalar path with a tail), with bias.
      // 530×72×300 (T ≥ LARGE_CALL_MIN_ROWS, K % 8 = 0): the texel kernel, with and without bias; tails in
      // T and N past its 32×32 blocks (and a second workgroup column), x and w each several texture rows
      // with a partial last one. 530×68×77: K % 8 = 4, so the large call stays on the storage kernel.
      const L = LARGE_CALL_MIN_ROWS + 18;
      const cases = [[13, 68, 77, 0, "storage"], [9, 30, 70, 1, "storage"], [L, 72, 300, 1, "texel"], [
        L,
        72,
        300,
        0,
        "texel",
      ], [L, 68, 77, 1, "storage"]] as const;
      for (const [T, K, N, withBias, kernel] of cases) {
        const x = random(T * K, 11), w = random(N * K, 12), bias = withBias ? random(N, 13) : undefined;
        const want = new Float32Array(T * N);
        const args = { x, w, T, K, N, bias };
        matmulRef({ ...args, out: want });
        const name = `GPU matmul ${T}×${K}×${N}${bias ? " bias" : ""}`;
        // The kernel is forced to the software adapters' family, so a GPU machine checks these kernels too.
        const ran = matmulKernel(ctx, { T, K, N }, "registers");
        assert.ok(ran.startsWith(kernel), `${name}: ran ${ran}, expected ${kernel}`);
        if (kernel === "texel") assert.ok((T * K) / 4 > 2 * TEXEL_ROW && (N * K) / 4 > TEXEL_ROW, name);
        assertClose(name, await runMatmul(ctx, args, false, "registers"), want, 1e-4);
      }
    }),
});

Deno.test({
  name: "GPU texel matmul reads w from its byte offset (a slice of a larger matrix, as the logits do)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU texel matmul wOffset", async (ctx) => {
      // 8 leading rows of K = 72 floats are 2304 bytes, a multiple of the 256 that offsets must be.
      const [T, K, N, skip] = [LARGE_CALL_MIN_ROWS, 72, 50, 8];
      const x = random(T * K, 31), all = random((skip + N) * K, 32), w = all.slice(skip * K);
      const want = new Float32Array(T * N);
      matmulRef({ x, w, T, K, N, out: want });
      const got = await runKernel(ctx, [x, all], T * N, (enc, [bx, bw], out) => {
        const a = { x: bx!, w: bw!, out, T, K, N, wOffset: skip * K * 4 };
        assert.ok(matmulKernel(ctx, a, "registers").startsWith("texel"));
        encodeMatmul(ctx, enc, a, "registers");
      });
      assertClose(`GPU texel matmul wOffset ${T}×${K}×${N}`, got, want, 1e-4);
    }),
});

Deno.test({
  name: "GPU texel matmuls in one encoder share (and grow) their textures without reading another's operands",
  ...gpuTest,
  fn: () =>
    withGpu("GPU texel matmul sequence", async (ctx) => {
      // As in a forward pass: calls recorded back to back, the second larger (the x texture is replaced
      // while the first call's pass still reads the old one), the third small again (reuse after growth).
      const calls = [[LARGE_CALL_MIN_ROWS, 64, 40], [3 * LARGE_CALL_MIN_ROWS + 7, 72, 70], [
        LARGE_CALL_MIN_ROWS,
        64,
        40,
      ]];
      const enc = ctx.device.createCommandEncoder();
      const runs = calls.map(([T, K, N], i) => {
        const x = random(T * K, 51 + i), w = random(N * K, 61 + i), want = new Float32Array(T * N);
        matmulRef({ x, w, T, K, N, out: want });
        const a = { x: upload(ctx, x), w: upload(ctx, w), out: ctx.acquire(T * N * 4), T, K, N };
        assert.ok(matmulKernel(ctx, a, "registers").startsWith("texel"));
        encodeMatmul(ctx, enc, a, "registers");
        return { a, want };
      });
      ctx.device.queue.submit([enc.finish()]);
      await ctx.checkErrors();
      for (const { a, want } of runs) {
        const got = new Float32Array(await readBuffer(ctx, a.out, a.T * a.N * 4));
        assertClose(`GPU texel matmul in sequence ${a.T}×${a.K}×${a.N}`, got, want, 1e-4);
        a.x.destroy();
        a.w.destroy();
        ctx.release(a.out);
      }
    }),
});

Deno.test({
  name: "GPU matmul with float16 weights matches matmulRef on the f16-rounded weights",
  ...gpuF16Test,
  fn: () =>
    withGpu("GPU matmul f16", async (ctx) => {
      const [T, K, N] = [13, 68, 77];
      const x = random(T * K, 21), w = random(N * K, 22), bias = random(N, 23);
      const rounded = Float32Array.from(new Float16Array(w));
      const want = new Float32Array(T * N);
      matmulRef({ out: want, x, w: rounded, T, K, N, bias });
      assertClose(
        `GPU matmul f16 ${T}×${K}×${N}`,
        await runMatmul(ctx, { x, w, T, K, N, bias }, true),
        want,
        1e-4,
      );
    }),
});

Deno.test({
  name:
    "GPU tiled matmul (the kernel for GPUs) matches matmulRef: tails in rows, columns and K, bias, f16 weights",
  ...gpuTest,
  fn: () =>
    withGpu("GPU tiled matmul", async (ctx) => {
      for (const [T, K, N, withBias] of [[13, 68, 77, 0], [70, 30, 131, 1], [1, 5, 3, 1]]) {
        const x = random(T * K, 41), w = random(N * K, 42), bias = withBias ? random(N, 43) : undefined;
        const want = new Float32Array(T * N);
        const args = { x, w, T, K, N, bias };
        matmulRef({ ...args, out: want });
        assertClose(
          `GPU tiled matmul ${T}×${K}×${N}`,
          await runMatmul(ctx, args, false, "tiled"),
          want,
          1e-4,
        );
        if (ctx.f16 && K % 4 === 0) {
          matmulRef({ ...args, w: Float32Array.from(new Float16Array(w)), out: want });
          assertClose(
            `GPU tiled matmul f16 ${T}×${K}×${N}`,
            await runMatmul(ctx, args, true, "tiled"),
            want,
            1e-4,
          );
        }
      }
    }),
});
