/**
 * The error measure of the kernel tests and the kernel benches: the largest |actual − expected| relative to
 * |expected|, with a floor of 1e-3 · max|expected| so entries that cancel to near zero do not dominate.
 *
 * @module
 */

/** Largest errors of `actual` against `expected`, and the index of the largest relative one. */
export interface RelativeError {
  maxRel: number;
  maxAbs: number;
  worst: number;
}

/**
 * Max |a − e| / max(scale, 1e-3 · max|e|) over the entries, where scale is |e|, or `scale[i]` when given
 * (a per-entry error scale, e.g. Σ|x·w| for a dot product). NaN in `actual` counts as the largest error.
 */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale?: ArrayLike<number>,
): RelativeError {
  let peak = 0;
  for (let i = 0; i < expected.length; i++) peak = Math.max(peak, Math.abs(expected[i]));
  const floor = Math.max(1e-3 * peak, 1e-30);
  let maxAbs = 0, maxRel = 0, worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    const rel = d / Math.max(scale ? scale[i] : Math.abs(expected[i]), floor);
    // `!(x <= max)` also takes NaN.
    if (!(rel <= maxRel)) [maxRel, worst] = [rel, i];
    if (!(d <= maxAbs)) maxAbs = d;
  }
  return { maxRel, maxAbs, worst };
}
