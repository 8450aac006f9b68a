/**
 * Native kernels (kernels/native, via Deno FFI) against the CPU references on awkward sizes
 * (the cases are shared with the WebAssembly build: _fast_kernel_cases.ts). Skipped, with a message,
 * when the library is not built or --allow-ffi is not granted.
 */
import { nativeKernels, nativeStatus } from "../../kernels/native/mod.ts";
import { forwardKernelTests } from "./_fast_kernel_cases.ts";

const nk = nativeKernels();
if (!nk) console.log(`SKIP native kernel tests: ${nativeStatus()}`);
forwardKernelTests("native", nk);
