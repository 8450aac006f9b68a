/** CPU reference RMSNorm. @module */

/**
 * Buffers and shape of one RMSNorm over T rows of D channels: shared by the reference, the
 * native/WebAssembly version and (B = GPUBuffer) the WebGPU encoder.
 */
export interface RmsnormArgs<B = Float32Array> {
  /** [T][D], written; may alias x. */
  out: B;
  /** [T][D]. */
  x: B;
  /** [D]. */
  weight: B;
  T: number;
  D: number;
  eps: number;
}

/** out[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ weight, for T rows of D channels (out may alias x). */
export function rmsnormRef({ out, x, weight, T, D, eps }: RmsnormArgs): void {
  for (let t = 0; t < T; t++) {
    const o = t * D;
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[o + i] * x[o + i];
    const inv = 1 / Math.sqrt(ss / D + eps);
    for (let i = 0; i < D; i++) out[o + i] = x[o + i] * inv * weight[i];
  }
}
