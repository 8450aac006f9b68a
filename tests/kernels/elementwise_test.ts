import assert from "node:assert/strict";
import { addRef, embedRef, rmsnormRef, swigluRef } from "../../kernels/cpu/mod.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";
import { runAdd, runEmbed, runRmsnorm, runSwiglu } from "./_gpu_run.ts";

Deno.test("rmsnormRef: hand-checked row", () => {
  const out = new Float32Array(2);
  // mean(3², 4²) = 12.5; eps 0 → x / sqrt(12.5), times weight.
  rmsnormRef({ out, x: new Float32Array([3, 4]), weight: new Float32Array([1, 2]), T: 1, D: 2, eps: 0 });
  assertClose("rmsnorm", out, [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5)], 1e-6);
});

Deno.test("embedRef gathers rows and rejects unknown ids", () => {
  const out = new Float32Array(4);
  embedRef({ out, table: new Float32Array([0, 1, 10, 11, 20, 21]), tokens: new Int32Array([2, 0]), D: 2 });
  assert.deepEqual([...out], [20, 21, 0, 1]);
  assert.throws(() => embedRef({ out, table: new Float32Array(6), tokens: [3], D: 2 }), /token 3/);
});

Deno.test("swigluRef: silu(g)·u", () => {
  const out = new Float32Array(3);
  swigluRef({ out, gate: new Float32Array([0, 1, -2]), up: new Float32Array([5, 2, 1]), n: 3 });
  assertClose("swiglu", out, [0, 2 / (1 + Math.exp(-1)), -2 / (1 + Math.exp(2))], 1e-6);
});

Deno.test("addRef: elementwise sum", () => {
  const out = new Float32Array(3);
  addRef({ out, a: new Float32Array([1, 2, 3]), b: new Float32Array([10, 20, 30]), n: 3 });
  assert.deepEqual([...out], [11, 22, 33]);
});

Deno.test({
  name: "GPU add, SwiGLU, embedding and RMSNorm match the CPU refs",
  ...gpuTest,
  fn: () =>
    withGpu("GPU elementwise", async (ctx) => {
      const n = 203, T = 7, D = 29;
      const a = random(n, 51, -4, 4), b = random(n, 52);
      const want = new Float32Array(n);
      addRef({ out: want, a, b, n });
      assertClose("GPU add", await runAdd(ctx, { a, b, n }), want, 1e-6);
      const swiglu = { gate: a, up: b, n };
      swigluRef({ ...swiglu, out: want });
      assertClose("GPU swiglu", await runSwiglu(ctx, swiglu), want, 1e-4);
      const table = random(11 * D, 53), tokens = new Int32Array([3, 0, 10, 3, 7, 1, 2]);
      const emb = new Float32Array(T * D);
      embedRef({ out: emb, table, tokens, D });
      assert.deepEqual(await runEmbed(ctx, { table, tokens, D }), emb);
      const x = random(T * D, 54, -3, 3), weight = random(D, 55), norm = new Float32Array(T * D);
      const rmsnorm = { x, weight, T, D, eps: 1e-5 };
      rmsnormRef({ ...rmsnorm, out: norm });
      assertClose("GPU rmsnorm", await runRmsnorm(ctx, rmsnorm), norm, 1e-4);
    }),
});
