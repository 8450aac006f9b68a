/**
 * The kernels the fast paths run on, chosen without a step to remember: the native library when it
 * loads (built on first use where a C compiler can be run), else the committed WebAssembly build of
 * the same C source. Both expose the same functions (kernels/native/symbols.ts); the TypeScript
 * kernels of kernels/cpu stay the references they are tested against.
 *
 * @module
 */
import { nativeKernels, nativeStatus, type NativeSymbols } from "./native/lib.ts";
import { wasmKernels, wasmStatus } from "./wasm/lib.ts";

/** Native kernels, else WebAssembly ones, else null (then only the TypeScript kernels run). */
export function fastKernels(): NativeSymbols | null {
  return nativeKernels() ?? wasmKernels();
}

/** Which kernels {@linkcode fastKernels} returns, and why the native ones are not used when they are not. */
export function fastKernelsStatus(): string {
  if (nativeKernels()) return nativeStatus();
  return `${wasmStatus()}; native kernels: ${nativeStatus()}`;
}

/** {@linkcode fastKernels}, or an error saying why neither loads. */
export function requireFastKernels(): NativeSymbols {
  const nk = fastKernels();
  if (!nk) throw new Error(`no fast kernels: ${fastKernelsStatus()}`);
  return nk;
}
