/**
 * The GPU kernel tests' adapter, requested once when the file loads so that each GPU test can be an
 * explicit `ignore` (with the reason logged) on a machine without one, never an early return that
 * reports ok.
 */
import { getGpu, type GpuContext } from "../../kernels/gpu/context.ts";

const gpu = await getGpu();
if (!gpu) console.log("SKIP GPU kernel tests: no WebGPU adapter (navigator.gpu?.requestAdapter() gave null)");

/**
 * Options of a GPU test: ignored without an adapter; WebGPU keeps device resources and a polling op
 * alive between tests. The device is destroyed by the last GPU test file through Deno's unload.
 */
export const gpuTest = { ignore: gpu === null, sanitizeResources: false, sanitizeOps: false } as const;

/** Options of a test that needs shader-f16 (lavapipe has none; Vulkan GPUs do): ignored without it. */
export const gpuF16Test = { ...gpuTest, ignore: !gpu?.f16 } as const;
if (gpu && !gpu.f16) console.log(`SKIP f16 GPU tests: ${gpu.description} has no shader-f16`);

/** Runs `fn` with the shared GPU context (only reached when `gpuTest` did not ignore the test). */
export function withGpu(_name: string, fn: (ctx: GpuContext) => Promise<void>): Promise<void> {
  if (!gpu) throw new Error("a GPU test ran without an adapter: give it ...gpuTest");
  return fn(gpu);
}
