/**
 * Exact paired tests: McNemar's test as the exact binomial test on the discordant pairs, and the
 * sign-flip permutation test of a mean paired difference (Fisher's randomisation test). @module
 */
import { createRng } from "./random.ts";

/**
 * Two-sided exact binomial p-value of k successes in n trials under p = ½: the probability of an outcome
 * at least as far from n/2 as k, i.e. min(1, 2·P(X ≤ min(k, n − k))). Under p = ½ the distribution is
 * symmetric, so this equals the "as likely or less likely" definition (SciPy's `binomtest`). n = 0 gives 1.
 */
export function binomialTwoSidedP(k: number, n: number): number {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 0 && k <= n)) {
    throw new RangeError(`binomial test needs integers 0 ≤ k ≤ n, got k = ${k}, n = ${n}`);
  }
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  // Σ_{i ≤ m} C(n, i) / 2ⁿ, in logs so that large n cannot overflow.
  let logTerm = -n * Math.LN2, sum = 0;
  for (let i = 0; i <= m; i++) {
    if (i > 0) logTerm += Math.log((n - i + 1) / i);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, 2 * sum);
}

/**
 * Exact two-sided McNemar test of paired 0/1 outcomes: with b documents where only the first scores 1
 * and c where only the second does, the p-value of b successes in b + c fair coin flips (McNemar 1947;
 * the exact form conditions on the discordant pairs).
 */
export function mcnemarExactP(b: number, c: number): number {
  return binomialTwoSidedP(b, b + c);
}

/** Options of {@linkcode signFlipP}. */
export interface SignFlipOptions {
  /** Enumerate all 2ⁿ sign patterns up to this n (default 20). */
  exactUpTo?: number;
  /** Random sign patterns above it (default 100,000). */
  resamples?: number;
  /** Seed of the Monte Carlo stream (default 0). */
  seed?: number;
}

/** Result of {@linkcode signFlipP}. */
export interface SignFlipResult {
  p: number;
  /** "exact" when every sign pattern was counted, else "monte-carlo". */
  kind: "exact" | "monte-carlo";
  /** Sign patterns counted. */
  patterns: number;
}

/**
 * Two-sided sign-flip permutation p-value of mean(d) = 0 for paired differences d: under the null each
 * difference is as likely negative as positive, so the p-value is the share of the 2ⁿ sign patterns whose
 * |Σ ±dᵢ| reaches the observed |Σ dᵢ| (ties count; a small relative tolerance absorbs rounding). For n up
 * to `exactUpTo` every pattern is enumerated (Gray-code order, one addition per pattern); above it a seeded
 * Monte Carlo of `resamples` patterns gives (1 + hits)/(1 + resamples), which is a valid p-value
 * (Phipson & Smyth 2010). All-zero differences give p = 1.
 */
export function signFlipP(d: readonly number[], opts: SignFlipOptions = {}): SignFlipResult {
  const observed = Math.abs(d.reduce((a, v) => a + v, 0));
  const scale = d.reduce((a, v) => a + Math.abs(v), 0);
  if (scale === 0) return { p: 1, kind: "exact", patterns: 1 };
  const reach = observed - 1e-9 * scale;
  let hits = 0, patterns = 0;
  const kind = forEachSignPattern(d, opts, (sum) => {
    patterns++;
    if (Math.abs(sum) >= reach) hits++;
  });
  return { p: kind === "exact" ? hits / patterns : (1 + hits) / (1 + patterns), kind, patterns };
}

/**
 * Visits the sign patterns s of the test of d, each as (Σ sᵢdᵢ, Σ sᵢ): all 2ⁿ for n up to `exactUpTo`
 * (Gray-code order from all +1, one addition per pattern), else `resamples` patterns of the seeded
 * Monte Carlo stream. {@linkcode signFlipP} and its inversion (util/sign_flip_interval.ts) share it, so the
 * interval's test at δ = 0 is this p exactly.
 */
export function forEachSignPattern(
  d: readonly number[],
  opts: SignFlipOptions,
  visit: (sum: number, count: number) => void,
): "exact" | "monte-carlo" {
  const n = d.length;
  if (n <= (opts.exactUpTo ?? 20)) {
    // Gray code: pattern g differs from g − 1 in one sign, bit j = trailing zeros of g.
    let sum = d.reduce((a, v) => a + v, 0), count = n;
    visit(sum, count);
    const signs = new Int8Array(n).fill(1);
    const total = 2 ** n;
    for (let g = 1; g < total; g++) {
      const j = 31 - Math.clz32(g & -g);
      sum -= 2 * signs[j] * d[j];
      count -= 2 * signs[j];
      signs[j] = -signs[j];
      visit(sum, count);
    }
    return "exact";
  }
  const rng = createRng(opts.seed ?? 0);
  for (let r = 0, B = opts.resamples ?? 100_000; r < B; r++) {
    let s = 0, c = 0;
    for (let i = 0; i < n; i++) {
      if (rng.next() < 0.5) s += -d[i], c--;
      else s += d[i], c++;
    }
    visit(s, c);
  }
  return "monte-carlo";
}
