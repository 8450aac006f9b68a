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
   * Sliding window (transformers' semantics): row i attends to rows j with i − window < j ≤ i (and within
   * its document). 0 or undefined: unbounded.
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
 * out[t][h] = Σ_{first[t] ≤ s ≤ t} softmax_s(scale · q[t][h]·k[s][g]) v[s][g], g = floor(h / (nHeads/nKvHeads)),
 * first[t] the first row of t's document and of its window ({@linkcode attentionFirstKeys}).
 * q and out are [T][nHeads·headDim]; k and v are [T][nKvHeads·headDim]. With `onlyRows`, only those
 * rows of out are written (the benches check long sequences on a sample of rows).
 */
export function causalAttentionRef(a: AttentionArgs, onlyRows?: ArrayLike<number>): void {
  const { out, q, k, v, T, nHeads, nKvHeads, headDim } = a;
  const group = gqaGroupSize(nHeads, nKvHeads);
  const scale = a.softmaxScale ?? 1 / Math.sqrt(headDim);
  const qStride = nHeads * headDim, kvStride = nKvHeads * headDim;
  const acc = new Float64Array(headDim);
  const docStart = attentionFirstKeys(T, a) ?? new Int32Array(T);
  for (let i = 0; i < (onlyRows?.length ?? T); i++) {
    const t = onlyRows ? onlyRows[i] : i;
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

/** Throws a RangeError unless `window` is undefined or a non-negative integer (0: unbounded). */
export function checkWindow(window: number | undefined): void {
  if (window !== undefined && !(Number.isInteger(window) && window >= 0)) {
    throw new RangeError(`attention window ${window} is not a non-negative integer`);
  }
}

/**
 * The first key each query row may attend to, from its document (`docStarts`) and its sliding window:
 * row t, at position qOffset + t, sees keys first[t]..qOffset + t with
 * first[t] = max(document start, qOffset + t − window + 1). Null when neither restricts (every row
 * sees keys 0..). The one definition of the masks for every CPU kernel (the native ones take it as
 * their per-row first key).
 */
export function attentionFirstKeys(
  T: number,
  a: Pick<AttentionArgs, "docStarts" | "window">,
  qOffset = 0,
): Int32Array | null {
  checkWindow(a.window);
  if (!a.docStarts && !a.window) return null;
  const first = documentStarts(T, a.docStarts);
  if (a.window) {
    for (let t = 0; t < T; t++) first[t] = Math.max(first[t], qOffset + t - a.window + 1);
  }
  return first;
}
