/** Gated GELU (tanh form, Gemma's MLP): the reference against PyTorch's formula at known points, WGSL against the reference. */
import assert from "node:assert/strict";
import { gegluTanhRef } from "../../kernels/cpu/mod.ts";
import { encodeGegluTanh } from "../../kernels/mod.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";
import { runKernel } from "./_gpu_run.ts";

Deno.test("gegluTanhRef: gelu_tanh(0) = 0, → g for large g, → 0 for very negative g, times up", () => {
  const gate = new Float32Array([0, 10, -10, 1]), up = new Float32Array([3, 2, 5, 1]);
  const out = new Float32Array(4);
  gegluTanhRef({ out, gate, up, n: 4 });
  assert.equal(out[0], 0);
  assertClose("large", [out[1], out[2]], [20, 0], 1e-6);
  // gelu_tanh(1) = 0.5·(1 + tanh(√(2/π)·1.044715)), PyTorch gives 0.8411920070648193.
  assertClose("one", [out[3]], [0.8411920070648193], 1e-6);
});

Deno.test({
  name: "GPU gated GELU (tanh) matches gegluTanhRef, large arguments included",
  ...gpuTest,
  fn: () =>
    withGpu("GPU geglu", async (ctx) => {
      const n = 1000, gate = random(n, 41, -30, 30), up = random(n, 42);
      const want = new Float32Array(n);
      gegluTanhRef({ out: want, gate, up, n });
      const got = await runKernel(ctx, [gate, up], n, (enc, [g, u], out) =>
        encodeGegluTanh(ctx, enc, { out, gate: g!, up: u!, n }));
      assertClose("GPU geglu", got, want, 1e-5);
    }),
});
