/**
 * One paired comparison of two score vectors (the same documents, in the same order): the test and the
 * interval that suit the scores, and an equivalence test against a margin. This is the function to call
 * for "is a different from b?" anywhere in ropekit; `holmAdjust` (util/holm.ts) then adjusts a family
 * of them. @module
 */
import { mcnemarExactP, signFlipP } from "./exact_tests.ts";
import { newcombePairedInterval, pairedTable } from "./newcombe.ts";
import { signFlipInterval } from "./sign_flip_interval.ts";
import { differences, estimate, pairedT, studentTCdf } from "./stats.ts";

/** The tests {@linkcode pairedComparison} runs. */
export type PairedTestName = "exact McNemar" | "exact sign-flip" | "Monte Carlo sign-flip";

/** The intervals {@linkcode pairedComparison} gives. */
export type PairedIntervalName =
  | "Newcombe hybrid score (paired, method 10)"
  | "sign-flip test inversion"
  | "paired t";

/** Options of {@linkcode pairedComparison}. */
export interface PairedComparisonOptions {
  /** 0/1 scores (exact match per document): McNemar and Newcombe instead of sign-flip and t. */
  binary?: boolean;
  /** Seed of the Monte Carlo sign-flip stream (used above 20 pairs). */
  seed?: number;
  /** Equivalence margin in the scores' unit: adds a TOST p-value for |mean(a − b)| < margin. */
  margin?: number;
}

/** What {@linkcode pairedComparison} finds. */
export interface PairedComparisonResult {
  /** The test behind `p`. */
  test: PairedTestName;
  /** The method of `ci95`. */
  interval: PairedIntervalName;
  /** mean(a) − mean(b). */
  difference: number;
  /** Standard error of the mean paired difference (σ_d/√n; NaN below 2 pairs). */
  stderr: number;
  /** Pairs compared. */
  n: number;
  /** Two-sided p-value of "no difference", unadjusted. */
  p: number;
  /** 95% interval of the difference (unadjusted); contains `difference`. */
  ci95: [number, number];
  /** For 0/1 scores: [documents only a got right, documents only b got right]. */
  discordant?: [number, number];
  /** With a margin: the TOST p-value of "the difference lies outside ±margin" (small = equivalent). */
  equivalence?: { margin: number; p: number };
}

/**
 * The paired comparison of `a` and `b`. 0/1 scores (`binary`): the exact two-sided McNemar test on the
 * discordant documents and Newcombe's hybrid score interval (method 10), which stays within [−1, 1].
 * Other scores: the exact sign-flip permutation test of the mean difference (all 2ⁿ patterns for
 * n ≤ 20, a seeded Monte Carlo of 100,000 above) and the interval that inverts it (util/sign_flip_interval.ts;
 * the paired t interval below 6 pairs, where the test cannot reject at 5%). With a `margin`, two one-sided
 * tests (TOST, Schuirmann 1987) of |difference| < margin: for scores the two one-sided t tests, for 0/1
 * scores the smallest α whose (1 − 2α) Newcombe interval lies inside ±margin.
 */
export function pairedComparison(
  a: readonly number[],
  b: readonly number[],
  opts: PairedComparisonOptions = {},
): PairedComparisonResult {
  const d = differences(a, b);
  const e = estimate(d);
  const n = d.length;
  const stderr = n < 2 ? NaN : e.stderr;
  if (opts.binary) {
    const table = pairedTable(a, b);
    const ci95 = newcombePairedInterval(table);
    const out: PairedComparisonResult = {
      test: "exact McNemar",
      interval: "Newcombe hybrid score (paired, method 10)",
      difference: e.mean,
      stderr,
      n,
      p: mcnemarExactP(table.onlyA, table.onlyB),
      ci95,
      discordant: [table.onlyA, table.onlyB],
    };
    if (opts.margin !== undefined) {
      const inside = (alpha: number) => {
        const [lo, hi] = newcombePairedInterval(table, 1 - 2 * alpha);
        return lo > -opts.margin! && hi < opts.margin!;
      };
      let p = 1;
      if (inside(0.5 - 1e-12)) {
        // inside(hi) holds; find the smallest α ≥ 1e-12 where it does (α → 0 needs an infinite interval).
        let lo = 1e-12, hi = 0.5 - 1e-12;
        if (inside(lo)) hi = lo;
        for (let i = 0; i < 60 && hi > lo; i++) {
          const mid = (lo + hi) / 2;
          if (inside(mid)) hi = mid;
          else lo = mid;
        }
        p = hi;
      }
      out.equivalence = { margin: opts.margin, p };
    }
    return out;
  }
  const flip = signFlipP(d, { seed: opts.seed });
  // The test's own interval, so that p and interval agree; below 6 pairs the test cannot reject at 5%
  // (its interval is unbounded) and the t interval stands in, labelled as such.
  const inverted = signFlipInterval(d, { seed: opts.seed });
  const out: PairedComparisonResult = {
    test: flip.kind === "exact" ? "exact sign-flip" : "Monte Carlo sign-flip",
    interval: inverted ? "sign-flip test inversion" : "paired t",
    difference: e.mean,
    stderr,
    n,
    p: flip.p,
    ci95: inverted?.ci ?? pairedT(a, b).ci95,
  };
  if (opts.margin !== undefined) {
    const m = opts.margin;
    let p = 1;
    if (n >= 2 && e.stderr > 0) {
      const lower = studentTCdf(-(e.mean + m) / e.stderr, n - 1); // H0: difference ≤ −m
      const upper = studentTCdf((e.mean - m) / e.stderr, n - 1); // H0: difference ≥ +m
      p = Math.max(lower, upper);
    } else if (n >= 2) p = Math.abs(e.mean) < m ? 0 : 1; // no spread: the difference is what it is
    out.equivalence = { margin: m, p };
  }
  return out;
}
