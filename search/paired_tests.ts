/**
 * The two tests the critical-index verdict needs: a paired comparison of per-document scores (paired t:
 * the difference, its 95% interval and a two-sided p-value) and Holm's step-down adjustment of a family
 * of p-values. Kept behind these two calls so the shared statistics module (util/stats.ts, being given
 * exact paired tests — sign-flip permutation, paired t — and Holm) can replace them in one place.
 *
 * @module
 */
import { pairedT, studentTCdf } from "../util/stats.ts";

/** mean(a − b) over paired documents, its 95% interval, and the two-sided p-value of "no difference". */
export interface PairedComparison {
  difference: number;
  stderr: number;
  n: number;
  ci95: [number, number];
  p: number;
}

/**
 * Paired t comparison of `a` and `b` (index i of both is the same document). With no spread in the
 * differences the p-value is 0 for a non-zero constant difference and 1 for none.
 */
export function pairedComparison(a: readonly number[], b: readonly number[]): PairedComparison {
  const t = pairedT(a, b);
  let p: number;
  if (t.n < 2 || !Number.isFinite(t.stderr)) p = 1;
  else if (t.stderr === 0) p = t.difference === 0 ? 1 : 0;
  else p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t.difference / t.stderr), t.n - 1)));
  return { difference: t.difference, stderr: t.stderr, n: t.n, ci95: t.ci95, p };
}

/**
 * Holm's step-down adjustment: the i-th smallest of m p-values is multiplied by (m − i), the running
 * maximum taken so the adjusted values keep the raw order, capped at 1. Returned in the input's order.
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
