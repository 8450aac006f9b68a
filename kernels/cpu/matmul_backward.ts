/**
 * Backward of `matmulRef` (out = x·Wᵀ + b). Gradients are accumulated (+=) so callers can sum
 * micro-batches. Both products take four rows at a time, like the forward's `rows4`: each element of
 * the accumulated row (dW or dx) is loaded and stored once per four multiply-adds, not once per one.
 *
 * @module
 */
import type { Vec } from "./vec.ts";

/**
 * Buffers and shape of one matmul backward (forward: out[T×N] = x[T×K]·w[N×K]ᵀ + bias), shared by the
 * reference, the native/WebAssembly version and (B = GPUBuffer) the WebGPU encoder. Gradients accumulate.
 */
export interface MatmulBackwardArgs<B = Vec> {
  /** [T][N] gradient of the output. */
  dOut: B;
  /** [T][K] forward input. */
  x: B;
  /** [N][K] weight (PyTorch Linear layout). */
  w: B;
  /** [T][K], accumulated: dx += dOut·w. Omit when the input needs no gradient. */
  dx?: B;
  /** [N][K], accumulated: dW += dOutᵀ·x. */
  dW: B;
  /** [N], accumulated: dBias += Σ_t dOut[t]. */
  dBias?: B;
  T: number;
  K: number;
  N: number;
}

/**
 * Given dOut[T×N] for out[T×N] = x[T×K]·w[N×K]ᵀ (+ bias): dx[T×K] += dOut·w, dW[N×K] += dOutᵀ·x,
 * dBias[N] += Σ_t dOut[t]. Leave `dx` out when the input needs no gradient.
 */
export function matmulBackward({ dx, dW, dBias, dOut, x, w, T, K, N }: MatmulBackwardArgs): void {
  // dW[n] += Σ_t dOut[t][n]·x[t], four t at a time.
  accumulateRows(dW, dOut, 1, N, x, N, T, K);
  // dx[t] += Σ_n dOut[t][n]·w[n], four n at a time.
  if (dx) accumulateRows(dx, dOut, N, 1, w, T, N, K);
  if (dBias) {
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) dBias[n] += dOut[t * N + n];
  }
}

/** acc[i][·] += Σ_j g[i·gi + j·gj]·src[j][·] for i < rows, j < J, rows of K. */
function accumulateRows(
  acc: Vec,
  g: Vec,
  gi: number,
  gj: number,
  src: Vec,
  rows: number,
  J: number,
  K: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ao = i * K;
    let j = 0;
    for (; j + 4 <= J; j += 4) {
      const go = i * gi + j * gj;
      const g0 = g[go], g1 = g[go + gj], g2 = g[go + 2 * gj], g3 = g[go + 3 * gj];
      if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
      const s0 = j * K, s1 = s0 + K, s2 = s1 + K, s3 = s2 + K;
      for (let k = 0; k < K; k++) {
        acc[ao + k] += g0 * src[s0 + k] + g1 * src[s1 + k] + g2 * src[s2 + k] + g3 * src[s3 + k];
      }
    }
    for (; j < J; j++) {
      const gv = g[i * gi + j * gj], so = j * K;
      if (gv !== 0) { for (let k = 0; k < K; k++) acc[ao + k] += gv * src[so + k]; }
    }
  }
}
