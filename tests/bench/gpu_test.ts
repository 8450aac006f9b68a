/**
 * The prepared GPU benchmark (`deno task bench --gpu`, bench/gpu.ts) runs end to end on whatever adapter
 * is here, made small: both kernel families checked against the CPU references, and an NLL pass of the
 * default model on the WebGPU backend that matches the native CPU backend on the same tokens.
 */
import assert from "node:assert/strict";
import { benchGpu } from "../../bench/gpu.ts";
import { gpuTest } from "../kernels/_gpu.ts";
import { nativeBackend } from "../../model/native_backend.ts";

Deno.test({
  name: "bench --gpu: kernels checked, and the GPU NLL pass matches the native backend on the same tokens",
  ...gpuTest,
  ignore: gpuTest.ignore || !nativeBackend(),
  fn: async () => {
    const r = await benchGpu(() => {}, { lengths: [300], smallKernels: true });
    assert.equal(r.kernels.length, 4);
    for (const k of r.kernels) {
      assert.ok(k.validation && k.validation.maxRelError <= k.validation.tolerance, k.name);
    }
    const [row] = r.nll;
    assert.equal(row.length, 300);
    assert.ok(row.seconds > 0 && Number.isFinite(row.meanNll));
    assert.equal(typeof row.vsNative, "number");
    assert.ok((row.vsNative as number) <= 1e-4, `GPU vs native NLL ${row.vsNative}`);
  },
});
