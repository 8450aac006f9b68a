/** Backward of `rmsnormRef`. @module */
import type { RmsnormArgs } from "./rmsnorm.ts";
import type { Vec } from "./vec.ts";

/** Buffers and shape of one RMSNorm backward (see {@linkcode RmsnormArgs}); dx and dWeight accumulate. */
export interface RmsnormBackwardArgs<B = Vec> extends Omit<RmsnormArgs<B>, "out"> {
  /** [T][D], accumulated; must not alias dOut. */
  dx: B;
  /** [D], accumulated. */
  dWeight: B;
  /** [T][D] gradient of the output. */
  dOut: B;
}

/**
 * y = x·r ⊙ w with r = (mean(x²) + eps)^-½. With g = dy ⊙ w:
 * dx = r·g − x·r³·(g·x)/D, and dw += dy ⊙ x·r. dx is accumulated; it must not alias dy.
 */
export function rmsnormBackward({ dx, dWeight, dOut, x, weight, T, D, eps }: RmsnormBackwardArgs): void {
  for (let t = 0; t < T; t++) {
    const o = t * D;
    let ss = 0, gx = 0;
    for (let i = 0; i < D; i++) {
      ss += x[o + i] * x[o + i];
      gx += dOut[o + i] * weight[i] * x[o + i];
    }
    const r = 1 / Math.sqrt(ss / D + eps);
    const c = r * r * r * gx / D;
    for (let i = 0; i < D; i++) {
      dx[o + i] += r * dOut[o + i] * weight[i] - c * x[o + i];
      dWeight[i] += dOut[o + i] * x[o + i] * r;
    }
  }
}
