/**
 * Central finite differences for the gradient checks. Everything runs in float64 (the reference
 * kernels do their arithmetic in JS doubles and only round when storing, so Float64Array buffers make
 * them f64 ops), so the numeric gradient is accurate to ~1e-9 and the tolerance can be tight.
 *
 * @module
 */
import { createRng } from "../../util/random.ts";

/** Uniform values in [−scale, scale) from a seeded stream. */
export function randomF64(n: number, seed: number, scale = 1): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => (2 * rng.next() - 1) * scale);
}

/** Views an f64 buffer as the Float32Array the reference kernels are typed with (see the module doc). */
export function f32(a: Float64Array): Float32Array {
  return a as unknown as Float32Array;
}

/**
 * Largest relative error between `analytic` and the central difference of `loss` at each index of
 * `x` listed in `indices` (all when absent). Relative to max(|a|, |n|, floor) so that entries whose
 * gradient is ~0 are compared in absolute terms.
 */
export function maxRelError(
  loss: () => number,
  x: Float64Array,
  analytic: ArrayLike<number>,
  indices?: number[],
  eps = 1e-5,
  floor = 1e-6,
): number {
  let worst = 0;
  for (const i of indices ?? Array.from(x, (_, j) => j)) {
    const saved = x[i];
    x[i] = saved + eps;
    const up = loss();
    x[i] = saved - eps;
    const down = loss();
    x[i] = saved;
    const numeric = (up - down) / (2 * eps);
    const err = Math.abs(numeric - analytic[i]) / Math.max(Math.abs(numeric), Math.abs(analytic[i]), floor);
    worst = Math.max(worst, err);
  }
  return worst;
}

/** Σ r_i·out_i: a random projection, so dLoss/dout = r and every output channel is exercised. */
export function project(out: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * r[i];
  return s;
}
