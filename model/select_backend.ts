/**
 * Choosing a backend by name (`--backend`): `native` (C kernels via FFI), `wasm` (the same C source
 * compiled to WebAssembly, committed: needs no compiler), `webgpu` (one submission per forward pass;
 * decoding on the CPU), `cpu` (TypeScript kernels), or `auto` (native when it loads or can be built,
 * else wasm, else cpu — WebGPU is opt-in, since on software adapters it is slower than the CPU paths).
 * `ROPEKIT_NO_NATIVE=1` makes `auto` skip native.
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import { CpuBackend } from "./cpu_backend.ts";
import { defaultBackend, nativeBackend, nativeStatus, wasmBackend, wasmStatus } from "./native_backend.ts";
import { WebGpuBackend } from "./webgpu_backend.ts";
import { RopekitError } from "../util/errors.ts";

/** A backend that was asked for by name but is unknown or cannot run here. */
export class BackendError extends RopekitError {}

/** Backend names `--backend` accepts. */
export const BACKENDS = ["auto", "native", "wasm", "webgpu", "cpu"] as const;

/** The backend `name` selects; a clear error when it is unknown or unavailable here. */
export async function selectBackend(name: string = "auto"): Promise<Backend> {
  switch (name) {
    case "auto":
      return defaultBackend();
    case "cpu":
      return new CpuBackend();
    case "native": {
      const b = nativeBackend();
      if (!b) {
        throw new BackendError(`backend native is unavailable: ${nativeStatus()}`, { field: "backend" });
      }
      return b;
    }
    case "wasm": {
      const b = wasmBackend();
      if (!b) throw new BackendError(`backend wasm is unavailable: ${wasmStatus()}`, { field: "backend" });
      return b;
    }
    case "webgpu": {
      const b = await WebGpuBackend.create();
      if (!b) {
        throw new BackendError(
          "backend webgpu is unavailable: no WebGPU adapter (install mesa-vulkan-drivers, or use a GPU)",
          { field: "backend" },
        );
      }
      return b;
    }
    default:
      throw new BackendError(`unknown backend "${name}" (known: ${BACKENDS.join(", ")})`, {
        field: "backend",
      });
  }
}
