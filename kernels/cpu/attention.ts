/**
 * CPU reference causal attention with GQA, online softmax (one pass over keys, running max and sum):
 * memory is O(headDim), never T×T.
 *
 * @module
 */

/**
 * Buffers, shape and options of one causal attention call: the one argument type of the reference,
 * `causalAttentionFast`, the native/WebAssembly version and (B = GPUBuffer) the WebGPU encoder.
 * q and out are [T][nHeads·headDim]; k and v are [T][nKvHeads·headDim].
 */
export interface AttentionArgs<B = Float32Array> {
  /** Written. */
  out: B;
  q: B;
  k: B;
  v: B;
  T: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Multiplies q·k before the softmax. Default 1/sqrt(headDim). */
  softmaxScale?: number;
  /** Sorted start rows of packed documents: row t attends only to rows of its own document. */
  docStarts?: Int32Array;
  /**
   * Sliding window: row i attends to rows j with i − window < j ≤ i (and in its document), as
   * transformers' sliding-window mask; 0 or undefined = unbounded.
   */
  window?: number;
}

/** The options of an attention call (its fields beyond buffers and shape). */
export type AttentionOptions = Pick<AttentionArgs, "softmaxScale" | "docStarts" | "window">;

/** Query heads per KV head; throws when nHeads is not a multiple of nKvHeads. */
export function gqaGroupSize(nHeads: number, nKvHeads: number): number {
  if (nHeads % nKvHeads !== 0) {
    throw new RangeError(`nHeads ${nHeads} is not a multiple of nKvHeads ${nKvHeads}`);
  }
  return nHeads / nKvHeads;
}

/**
 * out[t][h] = Σ_{t − window < s ≤ t, same document} softmax_s(scale · q[t][h]·k[s][g]) v[s][g], g = floor(h / (nHeads/nKvHeads)).
 * q and out are [T][nHeads·headDim]; k and v are [T][nKvHeads·headDim].
 */
export function causalAttentionRef(a: AttentionArgs): void {
  const { out, q, k, v, T, nHeads, nKvHeads, headDim } = a;
  const group = gqaGroupSize(nHeads, nKvHeads);
  const scale = a.softmaxScale ?? 1 / Math.sqrt(headDim);
  const qStride = nHeads * headDim, kvStride = nKvHeads * headDim;
  const acc = new Float64Array(headDim);
  const docStart = firstVisibleKeys(T, a.docStarts, a.window);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nHeads; h++) {
      const qo = t * qStride + h * headDim;
      const kvh = Math.floor(h / group) * headDim;
      let max = -Infinity, sum = 0;
      acc.fill(0);
      for (let s = docStart[t]; s <= t; s++) {
        const ko = s * kvStride + kvh;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qo + d] * k[ko + d];
        const logit = dot * scale;
        // Rescale what was accumulated under the old max when the max grows.
        if (logit > max) {
          const c = Math.exp(max - logit);
          sum *= c;
          for (let d = 0; d < headDim; d++) acc[d] *= c;
          max = logit;
        }
        const p = Math.exp(logit - max);
        sum += p;
        for (let d = 0; d < headDim; d++) acc[d] += p * v[ko + d];
      }
      for (let d = 0; d < headDim; d++) out[qo + d] = acc[d] / sum;
    }
  }
}

/** First row each row may attend to: 0 everywhere, or the start of its document. */
export function documentStarts(T: number, docStarts?: Int32Array): Int32Array {
  const first = new Int32Array(T);
  if (!docStarts) return first;
  let current = 0;
  for (let t = 0, d = 0; t < T; t++) {
    while (d < docStarts.length && docStarts[d] <= t) current = docStarts[d++];
    first[t] = current;
  }
  return first;
}

/**
 * First key row each query row may attend to: its document's start, raised by a sliding window to
 * row t − window + 1 (rows of queries at positions qOffset.. over keys from position 0, as in a KV
 * cache). Every kernel takes the lower bound per row, so the window is data, not a kernel variant.
 */
export function firstVisibleKeys(
  T: number,
  docStarts?: Int32Array,
  window?: number,
  qOffset = 0,
): Int32Array {
  const first = documentStarts(T, docStarts);
  if (window !== undefined && window !== 0) {
    if (!Number.isInteger(window) || window < 0) {
      throw new RangeError(`attention window ${window} must be a non-negative integer`);
    }
    for (let t = 0; t < T; t++) first[t] = Math.max(first[t], qOffset + t - window + 1);
  }
  return first;
}
