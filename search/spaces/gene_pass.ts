/**
 * Operator pieces the built-in spaces share: a uniform draw from an integer range and the
 * crossover pass of the official code (each gene, with probability p, has an even chance of being
 * taken from the donor).
 *
 * @module
 */
import type { Rng } from "../../util/random.ts";

/** Per-gene probability of the official mutation and crossover (0.3). */
export const GENE_PROBABILITY = 0.3;

/** Uniform integer in [lo, hi], or `current` when the range is empty. */
export function drawBetween(rng: Rng, lo: number, hi: number, current: number): number {
  return lo <= hi ? lo + rng.int(hi - lo + 1) : current;
}

/** A copy of `child` where genes `from..child.length−1` may be taken from `donor` (same indexing). */
export function crossoverPass(
  child: readonly number[],
  donor: readonly number[],
  rng: Rng,
  p: number,
  from = 0,
): number[] {
  const out = child.slice();
  for (let i = from; i < out.length; i++) {
    if (rng.chance(p) && rng.chance(0.5) && donor[i] !== undefined) out[i] = donor[i];
  }
  return out;
}
