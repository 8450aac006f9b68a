/**
 * Newcombe's hybrid score interval for the difference of two paired proportions (Newcombe 1998,
 * "Improved confidence intervals for the difference between binomial proportions based on paired data",
 * Statistics in Medicine 17:2635–2650, method 10): Wilson score intervals of the two marginal proportions,
 * combined with a correction for their correlation φ. It never leaves [−1, 1] and, unlike a bootstrap,
 * is not degenerate when no pair is discordant. @module
 */
import { normalQuantile } from "./normal.ts";

/** Wilson's score interval of x successes in n trials at normal quantile z (Wilson 1927). */
export function wilsonInterval(x: number, n: number, z: number): [number, number] {
  const p = x / n, z2 = z * z;
  const centre = (2 * n * p + z2) / (2 * (n + z2));
  const half = (z * Math.sqrt(z2 + 4 * n * p * (1 - p))) / (2 * (n + z2));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** A paired 2×2 table: `both` pairs score 1 twice, `onlyA` only in the first, `onlyB` only in the second. */
export interface PairedTable {
  both: number;
  onlyA: number;
  onlyB: number;
  neither: number;
}

/** The paired 2×2 table of two 0/1 score vectors (same documents, same order). */
export function pairedTable(a: readonly number[], b: readonly number[]): PairedTable {
  const t = { both: 0, onlyA: 0, onlyB: 0, neither: 0 };
  for (let i = 0; i < a.length; i++) {
    if ((a[i] !== 0 && a[i] !== 1) || (b[i] !== 0 && b[i] !== 1)) {
      throw new RangeError(`0/1 scores expected, got ${a[i]} and ${b[i]} at document ${i}`);
    }
    if (a[i] && b[i]) t.both++;
    else if (a[i]) t.onlyA++;
    else if (b[i]) t.onlyB++;
    else t.neither++;
  }
  return t;
}

/**
 * Newcombe's method-10 interval for p_A − p_B at `confidence` (default 0.95). With n pairs, e..h the
 * margins and φ̂ = C/√(efgh), where C = ad − bc − n/2 if ad − bc > n/2, ad − bc if it is negative, and 0
 * otherwise (Newcombe's corrected φ; 0 when a margin is empty): L = θ − √((p₁−l₁)² − 2φ̂(p₁−l₁)(u₂−p₂) +
 * (u₂−p₂)²) and U = θ + √((p₂−l₂)² − 2φ̂(p₂−l₂)(u₁−p₁) + (u₁−p₁)²).
 */
export function newcombePairedInterval(t: PairedTable, confidence = 0.95): [number, number] {
  const { both: a, onlyA: b, onlyB: c, neither: d } = t;
  const n = a + b + c + d;
  if (n === 0) return [-1, 1];
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p1 = (a + b) / n, p2 = (a + c) / n, theta = p1 - p2;
  const [l1, u1] = wilsonInterval(a + b, n, z);
  const [l2, u2] = wilsonInterval(a + c, n, z);
  const margins = (a + b) * (c + d) * (a + c) * (b + d);
  const cross = a * d - b * c;
  const corrected = cross > n / 2 ? cross - n / 2 : cross < 0 ? cross : 0;
  const phi = margins === 0 ? 0 : corrected / Math.sqrt(margins);
  const root = (x: number, y: number) => Math.sqrt(Math.max(0, x * x - 2 * phi * x * y + y * y));
  const lo = theta - root(p1 - l1, u2 - p2);
  const hi = theta + root(p2 - l2, u1 - p1);
  return [Math.max(-1, lo), Math.min(1, hi)];
}
