/** Means with their standard errors, the paired t interval, and Student's t distribution. @module */

/** A mean, its standard error (σ/√n; 0 for n < 2) and the sample count. */
export interface Estimate {
  /** The arithmetic mean of the values (NaN for none). */
  mean: number;
  /** The standard error of the mean, s/√n with the n − 1 sample deviation; 0 for one value, NaN for none. */
  stderr: number;
  /** How many values were averaged. */
  n: number;
}

/** Mean and standard error of `values`. */
export function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) return { mean: NaN, stderr: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, stderr: 0, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(variance / n), n };
}

/** Arithmetic mean of a typed or plain array. */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** A paired difference of means, mean(a − b), with its 95% interval. */
export interface PairedDifference {
  /** mean(a) − mean(b) over the paired documents. */
  difference: number;
  /** Standard error of the mean difference (σ_d/√n). */
  stderr: number;
  n: number;
  /** The interval's ends. */
  ci95: [number, number];
  /** True when the interval excludes 0 (never with fewer than 2 pairs). */
  significant: boolean;
}

/** Differences a − b, refusing vectors of different lengths. */
export function differences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) {
    throw new RangeError(`paired statistics need as many values in a as in b (${a.length} vs ${b.length})`);
  }
  return a.map((v, i) => v - b[i]);
}

/**
 * Paired t interval of mean(a − b): mean ± t(0.975, n−1)·SE (Student 1908). Exact when the differences
 * are normal; `pairedComparison` (util/paired_comparison.ts) reports it beside an exact test.
 */
export function pairedT(a: readonly number[], b: readonly number[]): PairedDifference {
  const e = estimate(differences(a, b));
  if (e.n < 2) {
    return { difference: e.mean, stderr: NaN, n: e.n, ci95: [-Infinity, Infinity], significant: false };
  }
  const half = studentTQuantile(0.975, e.n - 1) * e.stderr;
  const ci95: [number, number] = [e.mean - half, e.mean + half];
  return { ...e, difference: e.mean, ci95, significant: ci95[0] > 0 || ci95[1] < 0 };
}

/** A one-sample t test of mean = 0 with its 95% interval. */
export interface OneSampleT {
  mean: number;
  stderr: number;
  n: number;
  ci95: [number, number];
  /** Two-sided p-value (1 below 2 values or with no spread around a zero mean). */
  p: number;
}

/**
 * Student's one-sample t test of mean(values) = 0 and its 95% t interval: what a claim across a few
 * independent repeats (seeds) rests on, each repeat contributing one value.
 */
export function oneSampleT(values: readonly number[]): OneSampleT {
  const e = estimate(values);
  if (e.n < 2) return { ...e, stderr: NaN, ci95: [-Infinity, Infinity], p: 1 };
  if (e.stderr === 0) return { ...e, ci95: [e.mean, e.mean], p: e.mean === 0 ? 1 : 0 };
  const half = studentTQuantile(0.975, e.n - 1) * e.stderr;
  const t = Math.abs(e.mean) / e.stderr;
  return { ...e, ci95: [e.mean - half, e.mean + half], p: Math.min(1, 2 * studentTCdf(-t, e.n - 1)) };
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularised incomplete beta I_x(a, b), by its continued fraction (modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front =
    Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) /
    a;
  const tiny = 1e-300;
  let f = 1, C = 1, D = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const num = i === 0
      ? 1
      : i % 2 === 0
      ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
      : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    D = 1 + num * D;
    if (Math.abs(D) < tiny) D = tiny;
    D = 1 / D;
    C = 1 + num / C;
    if (Math.abs(C) < tiny) C = tiny;
    const cd = C * D;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return front * (f - 1);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`t quantile needs 0 < p < 1 and df > 0`);
  let lo = -1e3, hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
