/** Holm's step-down adjustment of a family of p-values. @module */

/**
 * Holm (1979) adjusted p-values, in the input's order: sorted ascending, the i-th smallest (0-based) is
 * multiplied by m − i, made non-decreasing and capped at 1. Rejecting where the adjusted p < α controls
 * the probability of any false rejection in the family at α, whatever the dependence between the tests.
 * NaN p-values (no test) stay NaN and do not count towards m.
 */
export function holmAdjust(p: readonly number[]): number[] {
  const order = p.map((v, i) => [v, i] as const).filter(([v]) => !Number.isNaN(v)).sort((x, y) =>
    x[0] - y[0]
  );
  const m = order.length;
  const out = p.map(() => NaN);
  let running = 0;
  order.forEach(([v, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * v));
    out[i] = running;
  });
  return out;
}
