/** The WebGPU kernel bench checks what it times: small shapes read back and match the JS references. */
import assert from "node:assert/strict";
import { benchKernels } from "../../bench/kernels.ts";
import { gpuTest } from "../kernels/_gpu.ts";

Deno.test({
  name: "webgpu kernel bench: both kernel families' matmul and attention outputs are read back and checked",
  ...gpuTest,
  fn: async () => {
    const rows = await benchKernels({ small: true, reps: 1 });
    assert.deepEqual(rows.map((r) => r.name), [
      "matmul registers",
      "attention registers",
      "matmul tiled",
      "attention tiled",
    ]);
    // The adapter gets one family of each kernel: kernels/gpu/variant.ts's choice.
    assert.equal(rows.filter((r) => r.chosen).length, 2);
    for (const r of rows) {
      assert.ok(r.validation, `${r.name} ${r.shape}: validated`);
      console.log(`${r.name} ${r.shape}: max rel ${r.validation.maxRelError.toExponential(2)}`);
      assert.ok(r.validation.maxRelError <= r.validation.tolerance);
      assert.ok(r.gflops > 0 && Number.isFinite(r.gflops));
    }
  },
});
