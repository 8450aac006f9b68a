/**
 * The standard normal distribution: CDF and quantile to double precision, through the regularised
 * incomplete gamma function of order ½ (Φ(x) = ½ + ½·P(½, x²/2) for x ≥ 0). @module
 */

const LN_GAMMA_HALF = 0.5 * Math.log(Math.PI); // ln Γ(½) = ln √π

/** P(½, x) by its power series: converges fast for x < 1.5. */
function seriesP(x: number): number {
  let term = 2, sum = 2; // 1/a with a = ½
  for (let k = 1; k < 500; k++) {
    term *= x / (0.5 + k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum * Math.exp(0.5 * Math.log(x) - x - LN_GAMMA_HALF);
}

/** Q(½, x) = 1 − P(½, x) by Lentz's continued fraction: converges fast for x ≥ 1.5, keeps tiny tails. */
function fractionQ(x: number): number {
  const tiny = 1e-300;
  let b = x + 0.5, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - 0.5);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return Math.exp(0.5 * Math.log(x) - x - LN_GAMMA_HALF) * h;
}

/** P(Z > |x|): the upper tail, computed as its own (possibly tiny) number. */
function upperTail(x: number): number {
  const h = (x * x) / 2;
  if (h === 0) return 0.5;
  return 0.5 * (h < 1.5 ? 1 - seriesP(h) : fractionQ(h));
}

/** P(Z ≤ x) for a standard normal Z. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? 1 - upperTail(x) : upperTail(x);
}

/** The p-quantile of the standard normal (bisection on the upper tail; 0 < p < 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  if (p < 0.5) return -normalQuantile(1 - p);
  let lo = 0, hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, lo); i++) {
    const mid = (lo + hi) / 2;
    if (upperTail(mid) > 1 - p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
