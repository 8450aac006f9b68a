/**
 * The confidence interval that belongs to the sign-flip test: every shift δ that the test of mean(d − δ) = 0
 * does not reject. It is the interval of {@linkcode signFlipP}, so a comparison's p-value and its interval
 * always agree (p ≤ 0.05 exactly when the interval leaves out 0, up to the bisection's tolerance), which a
 * paired t interval beside a permutation test does not promise: heavy-tailed differences (one document
 * far off the others) can give sign-flip p = 0.01 and a t interval across 0. @module
 */
import { forEachSignPattern, type SignFlipOptions } from "./exact_tests.ts";

/** Options of {@linkcode signFlipInterval}: those of the test, and the level (default 0.95). */
export interface SignFlipIntervalOptions extends SignFlipOptions {
  level?: number;
}

/** What {@linkcode signFlipInterval} finds. */
export interface SignFlipInterval {
  /** [low, high]: the shifts δ the test does not reject; contains mean(d). */
  ci: [number, number];
  /** "exact" when every sign pattern was counted, else "monte-carlo" (the same seeded patterns for every δ). */
  kind: "exact" | "monte-carlo";
}

/**
 * Inverts the two-sided sign-flip test of {@linkcode signFlipP} (same patterns, same tolerance, same seed):
 * each sign pattern s is kept as (Σ sᵢdᵢ, Σ sᵢ), so the test of d − δ is one pass over the patterns, and
 * each end of the interval is found by bisection from mean(d) outward (to 1e-7 of the differences'
 * range) — assuming, as for the
 * mean, that p falls as δ moves away from it. Returns undefined when no δ can be rejected at this level: with
 * fewer than 6 pairs the smallest exact p, 2/2ⁿ, exceeds 0.05.
 *
 * @example A difference the test finds, and its interval
 * ```ts
 * import assert from "node:assert/strict";
 * import { signFlipInterval } from "./sign_flip_interval.ts";
 *
 * const d = [0.05, 0.02, -0.02, 0.03, 0.11, 2.57, 0.02, 0.76, 0.04, 0.13, 0.01, -0.01];
 * const { ci, kind } = signFlipInterval(d)!;
 * assert.equal(kind, "exact");
 * assert.ok(ci[0] > 0, "the test rejects 0, and the interval leaves it out");
 * ```
 */
export function signFlipInterval(
  d: readonly number[],
  opts: SignFlipIntervalOptions = {},
): SignFlipInterval | undefined {
  const n = d.length;
  const alpha = 1 - (opts.level ?? 0.95);
  const exact = n <= (opts.exactUpTo ?? 20);
  if (n === 0 || (exact && 2 / 2 ** n > alpha)) return undefined;
  // Every pattern the test counts, kept: exact, all 2ⁿ; else the seeded stream's `resamples`.
  const size = exact ? 2 ** n : opts.resamples ?? 100_000;
  const sums = new Float64Array(size), counts = new Int16Array(size);
  let i = 0;
  forEachSignPattern(d, opts, (sum, count) => {
    sums[i] = sum, counts[i++] = count;
  });
  const total = d.reduce((a, v) => a + v, 0);
  const patterns = sums.length;
  // p(δ) of the test of d − δ: Σ sᵢ(dᵢ − δ) = sums − δ·counts, the observed pattern being all +1.
  const p = (delta: number): number => {
    let scale = 0;
    for (const v of d) scale += Math.abs(v - delta);
    if (scale === 0) return 1;
    const reach = Math.abs(total - n * delta) - 1e-9 * scale;
    let hits = 0;
    for (let i = 0; i < patterns; i++) if (Math.abs(sums[i] - delta * counts[i]) >= reach) hits++;
    return exact ? hits / patterns : (1 + hits) / (1 + patterns);
  };
  const mean = total / n;
  const spread = Math.max(...d) - Math.min(...d) || Math.abs(mean) || 1;
  // One end: from the mean (not rejected) outward until a rejected shift, then bisect between them.
  const end = (direction: 1 | -1): number => {
    let inside = mean, outside = mean + direction * spread;
    for (let i = 0; i < 60 && p(outside) > alpha; i++) {
      inside = outside;
      outside = mean + 2 * (outside - mean);
    }
    while (Math.abs(outside - inside) > 1e-7 * spread) {
      const mid = (inside + outside) / 2;
      if (mid === inside || mid === outside) break;
      if (p(mid) > alpha) inside = mid;
      else outside = mid;
    }
    return inside;
  };
  return { ci: [end(-1), end(1)], kind: exact ? "exact" : "monte-carlo" };
}
