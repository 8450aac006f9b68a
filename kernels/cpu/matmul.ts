/**
 * CPU reference matmul, also the model runner's CPU fallback, so it is tuned a little:
 * rows of x are taken 4 at a time so each weight element loaded feeds 4 tokens, and the K loop is
 * unrolled 4-way (fewer loop branches and bounds checks per FMA in V8).
 *
 * @module
 */

/**
 * Buffers and shape of one matmul, out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias[N]): the one argument type of
 * the reference, native/WebAssembly (`kernels/native`) and WebGPU (`kernels/gpu/matmul.ts`, B = GPUBuffer)
 * versions, so a caller builds one object and hands it to any of them.
 */
export interface MatmulArgs<B = Float32Array, W = B> {
  /** [T][N], written. */
  out: B;
  /** [T][K]. */
  x: B;
  /** [N][K] (PyTorch Linear layout); W differs from B where weights may be encoded (matmul_encoded.ts). */
  w: W;
  /** [N], optional. */
  bias?: B;
  T: number;
  K: number;
  N: number;
}

/**
 * out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias[N]). Row-major; weights are [out][in] so y = W x.
 *
 * @example
 * ```ts
 * const out = new Float32Array(1);
 * matmulRef({ out, x: new Float32Array([1, 2]), w: new Float32Array([3, 4]), T: 1, K: 2, N: 1 }); // out[0] = 11
 * ```
 */
export function matmulRef({ out, x, w, T, K, N, bias }: MatmulArgs): void {
  let t = 0;
  for (; t + 4 <= T; t += 4) rows4(out, x, w, t, K, N, bias);
  for (; t < T; t++) {
    const xo = t * K;
    for (let n = 0; n < N; n++) {
      out[t * N + n] = dot(x, xo, w, n * K, K) + (bias ? bias[n] : 0);
    }
  }
}

/** Dot product of a[ao..ao+K) and b[bo..bo+K) in 4 accumulators. */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, K: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < K; k++) s0 += a[ao + k] * b[bo + k];
  return (s0 + s1) + (s2 + s3);
}

/** Rows t..t+3 of out: each weight element loaded once feeds 4 rows. */
function rows4(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  t: number,
  K: number,
  N: number,
  bias?: Float32Array,
): void {
  const x0 = t * K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
  for (let n = 0; n < N; n++) {
    const wo = n * K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const wa = w[wo + k], wb = w[wo + k + 1], wc = w[wo + k + 2], wd = w[wo + k + 3];
      s0 += x[x0 + k] * wa + x[x0 + k + 1] * wb + x[x0 + k + 2] * wc + x[x0 + k + 3] * wd;
      s1 += x[x1 + k] * wa + x[x1 + k + 1] * wb + x[x1 + k + 2] * wc + x[x1 + k + 3] * wd;
      s2 += x[x2 + k] * wa + x[x2 + k + 1] * wb + x[x2 + k + 2] * wc + x[x2 + k + 3] * wd;
      s3 += x[x3 + k] * wa + x[x3 + k + 1] * wb + x[x3 + k + 2] * wc + x[x3 + k + 3] * wd;
    }
    for (; k < K; k++) {
      const wa = w[wo + k];
      s0 += x[x0 + k] * wa;
      s1 += x[x1 + k] * wa;
      s2 += x[x2 + k] * wa;
      s3 += x[x3 + k] * wa;
    }
    const b = bias ? bias[n] : 0;
    out[t * N + n] = s0 + b;
    out[(t + 1) * N + n] = s1 + b;
    out[(t + 2) * N + n] = s2 + b;
    out[(t + 3) * N + n] = s3 + b;
  }
}
