/**
 * Native kernels with the same signatures as the `kernels/cpu` references, for tests and benchmarks
 * (the native backend calls the symbols directly to keep packed weights and its own KV cache layout).
 * They run on `fastKernels()` (native, else WebAssembly) unless given the kernel set `nk` to use, and
 * throw when neither loads.
 *
 * @module
 */
import { type AttentionOptions, documentStarts, gqaGroupSize } from "../cpu/attention.ts";
import { requireFastKernels } from "../fast_kernels.ts";
import { nativeKv, type NativeSymbols, packedWeights, storeKv } from "./lib.ts";

export { LIBRARY_PATH, nativeKernels, nativeStatus, type NativeSymbols, packedWeights } from "./lib.ts";

/** As matmulRef: out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias). `w` is packed once and cached. */
export function matmulNative(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  T: number,
  K: number,
  N: number,
  bias?: Float32Array,
  nk: NativeSymbols = requireFastKernels(),
): void {
  nk.rk_matmul(out, x, packedWeights(nk, w, N, K), bias ?? null, T, K, N, 0);
}

/** As causalAttentionRef (keys/values row-major [T][nKvHeads·headDim]); copies them to the native layout first. */
export function causalAttentionNative(
  out: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  T: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  opts: AttentionOptions = {},
  nk: NativeSymbols = requireFastKernels(),
): void {
  gqaGroupSize(nHeads, nKvHeads); // validates the head layout before the C code trusts it
  const kv = nativeKv(nk, T, nKvHeads, headDim);
  storeKv(nk, kv, k, v, T, 0, nKvHeads, headDim);
  const scale = opts.softmaxScale ?? 1 / Math.sqrt(headDim);
  const first = opts.docStarts ? documentStarts(T, opts.docStarts) : null;
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
