/** CPU reference RMSNorm. @module */

/** out[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ weight, for T rows of D channels (out may alias x). */
export function rmsnormRef(
  out: Float32Array,
  x: Float32Array,
  weight: Float32Array,
  T: number,
  D: number,
  eps: number,
): void {
  for (let t = 0; t < T; t++) {
    const o = t * D;
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[o + i] * x[o + i];
    const inv = 1 / Math.sqrt(ss / D + eps);
    for (let i = 0; i < D; i++) out[o + i] = x[o + i] * inv * weight[i];
  }
}
