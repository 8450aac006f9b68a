/**
 * Choosing a backend by name (`--backend`): `native` (C kernels via FFI), `webgpu` (one submission per
 * forward pass; decoding on the CPU), `cpu` (TypeScript kernels), or `auto` (native when it loads,
 * else cpu — WebGPU is opt-in, since on software adapters it is slower than the CPU paths).
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import { CpuBackend } from "./cpu_backend.ts";
import { defaultBackend, nativeBackend, nativeStatus } from "./native_backend.ts";
import { WebGpuBackend } from "./webgpu_backend.ts";

/** Backend names `--backend` accepts. */
export const BACKENDS = ["auto", "native", "webgpu", "cpu"] as const;

/** The backend `name` selects; a clear error when it is unknown or unavailable here. */
export async function selectBackend(name: string = "auto"): Promise<Backend> {
  switch (name) {
    case "auto":
      return defaultBackend();
    case "cpu":
      return new CpuBackend();
    case "native": {
      const b = nativeBackend();
      if (!b) throw new Error(`backend native is unavailable: ${nativeStatus()}`);
      return b;
    }
    case "webgpu": {
      const b = await WebGpuBackend.create();
      if (!b) {
        throw new Error(
          "backend webgpu is unavailable: no WebGPU adapter (install mesa-vulkan-drivers, or use a GPU)",
        );
      }
      return b;
    }
    default:
      throw new Error(`unknown backend "${name}" (known: ${BACKENDS.join(", ")})`);
  }
}
