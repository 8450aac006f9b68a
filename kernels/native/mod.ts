/**
 * Native kernels with the same argument types as the `kernels/cpu` references, for tests and benchmarks
 * (the native backend calls the symbols directly to keep packed weights and its own KV cache layout).
 * They run on `fastKernels()` (native, else WebAssembly) unless given the kernel set `nk` to use, and
 * throw when neither loads.
 *
 * @module
 */
import { type AttentionArgs, attentionFirstKeys, gqaGroupSize } from "../cpu/attention.ts";
import type { MatmulArgs } from "../cpu/matmul.ts";
import type { AnyMatrix } from "../cpu/matmul_encoded.ts";
import type { RmsnormArgs } from "../cpu/rmsnorm.ts";
import { requireFastKernels } from "../fast_kernels.ts";
import { type NativeSymbols, packedWeights, residentBytes, scratchKv, storeKv } from "./lib.ts";

export { LIBRARY_PATH, nativeKernels, nativeStatus, type NativeSymbols, packedWeights } from "./lib.ts";

/**
 * As matmulRef: out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias), or with `accumulate` out += …. An f32 `w` is
 * packed once and cached (inference weights do not change); an encoded one (GGUF Q4_K, Q8_0, …) is
 * decoded a block at a time by rk_matmul_q, with the same sums as rk_matmul on its decoded values.
 */
export function matmulNative(
  { out, x, w, T, K, N, bias }: MatmulArgs<Float32Array, AnyMatrix>,
  nk: NativeSymbols = requireFastKernels(),
  accumulate = false,
): void {
  if (w instanceof Float32Array) {
    nk.rk_matmul(out, x, packedWeights(nk, w, N, K), bias ?? null, T, K, N, accumulate ? 1 : 0);
    return;
  }
  if (w.rows !== N || w.cols !== K) {
    throw new RangeError(`encoded matrix is [${w.rows}][${w.cols}], the matmul needs [${N}][${K}]`);
  }
  nk.rk_matmul_q(out, x, residentBytes(nk, w.bytes), bias ?? null, T, K, N, w.type, accumulate ? 1 : 0);
}

/**
 * As causalAttentionRef (keys/values row-major [T][nKvHeads·headDim]); copies them to the native layout
 * first, into a buffer reused across calls ({@linkcode scratchKv}).
 */
export function causalAttentionNative(a: AttentionArgs, nk: NativeSymbols = requireFastKernels()): void {
  const { out, q, k, v, T, nHeads, nKvHeads, headDim } = a;
  gqaGroupSize(nHeads, nKvHeads); // validates the head layout before the C code trusts it
  const kv = scratchKv(nk, T, nKvHeads, headDim);
  storeKv(nk, kv, k, v, T, 0, nKvHeads, headDim);
  const scale = a.softmaxScale ?? 1 / Math.sqrt(headDim);
  const first = attentionFirstKeys(T, a);
  nk.rk_attention(
    out,
    q,
    kv.keys,
    kv.values,
    T,
    0,
    kv.capacity,
    nHeads,
    nKvHeads,
    headDim,
    scale,
    first,
  );
}

/** As rmsnormRef: out[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ weight (out may alias x). */
export function rmsnormNative(
  { out, x, weight, T, D, eps }: RmsnormArgs,
  nk: NativeSymbols = requireFastKernels(),
): void {
  nk.rk_rmsnorm(out, x, weight, T, D, eps);
}
