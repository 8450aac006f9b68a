/**
 * Attention of new query rows to a KV cache, for incremental decoding. `kernels/cpu`'s
 * `causalAttentionRef` takes queries and keys of the same length starting at position 0; until it
 * accepts a query offset this fills the gap (same online softmax, same default scale).
 *
 * @module
 */

/**
 * out[t] for query rows t = 0..T−1 at positions start+t, attending to cached rows 0..start+t (with a
 * sliding `window` > 0, only rows > start+t − window). q/out are [T][nHeads·headDim]; keys/values hold
 * ≥ start+T rows of nKvHeads·headDim.
 */
export function attendToCache(
  out: Float32Array,
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  start: number,
  T: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  window = 0,
  softmaxScale?: number,
): void {
  const group = nHeads / nKvHeads;
  const scale = softmaxScale ?? 1 / Math.sqrt(headDim);
  const kvStride = nKvHeads * headDim;
  const scores = new Float64Array(start + T);
  const acc = new Float64Array(headDim);
  for (let t = 0; t < T; t++) {
    const n = start + t + 1, first = window > 0 ? Math.max(0, n - window) : 0;
    for (let h = 0; h < nHeads; h++) {
      const qo = (t * nHeads + h) * headDim;
      const ko = Math.floor(h / group) * headDim;
      let max = -Infinity;
      for (let s = first; s < n; s++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qo + d] * keys[s * kvStride + ko + d];
        scores[s] = dot * scale;
        if (scores[s] > max) max = scores[s];
      }
      let sum = 0;
      acc.fill(0);
      for (let s = first; s < n; s++) {
        const p = Math.exp(scores[s] - max);
        sum += p;
        for (let d = 0; d < headDim; d++) acc[d] += p * values[s * kvStride + ko + d];
      }
      for (let d = 0; d < headDim; d++) out[qo + d] = acc[d] / sum;
    }
  }
}
