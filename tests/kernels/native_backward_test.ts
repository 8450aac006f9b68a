/**
 * Native training kernels (kernels/native/backward.ts) against the gradient-checked references in
 * kernels/cpu/*_backward.ts, on awkward sizes; and a whole training pass on the native engine against the f64
 * reference engine (cases shared with the WebAssembly build: _fast_kernel_cases.ts). Skipped, with a
 * message, when the native library is not built.
 */
import { nativeKernels, nativeStatus } from "../../kernels/native/mod.ts";
import { backwardKernelTests } from "./_fast_kernel_cases.ts";

const nk = nativeKernels();
if (!nk) console.log(`SKIP native training kernel tests: ${nativeStatus()}`);
backwardKernelTests("native", nk, "native");
