/**
 * The search-space contract. The evolution loop knows none of LongRoPE, LongRoPE2 or parameter
 * spaces: it calls these operators, and enforces constraints, dedup and retries itself.
 *
 * @module
 */
import type { Rng } from "../util/random.ts";
import type { Params } from "../strategies/types.ts";

/** A named starting point (PI, NTK, YaRN, a strategy's defaults, one LongRoPE2 seed per k…). */
export interface Seed<G> {
  /** What the seed is (e.g. "yarn", "ntk", "k=6"). */
  name: string;
  /** The seed's genome. */
  genome: G;
}

/**
 * A space of genomes `G` (plain JSON data, so journals and remote workers can carry them).
 * Operators make one pass and may return an invalid or already-seen genome: the loop retries, feeding
 * the result back in, so changes accumulate across passes as in the official code.
 */
export interface SearchSpace<G> {
  /** What the space is, as JSON: part of the journal fingerprint and of the result file. */
  readonly description: Record<string, unknown>;
  /** Seeds of the initial population, in order; the loop fills the rest by mutating them. */
  seeds(rng: Rng): Seed<G>[];
  /** One mutation pass over a copy of `parent`. */
  mutate(parent: G, rng: Rng): G;
  /** One crossover pass: a copy of `child` with some genes taken from `donor`. */
  crossover(child: G, donor: G, rng: Rng): G;
  /** Why `g` breaks a constraint (bounds, monotonicity, range of k…), or null when it is valid. */
  violation(g: G): string | null;
  /** A canonical string: equal keys ⇔ equal candidates (dedup, cache and journal lookups). */
  key(g: G): string;
  /** The strategy parameters this genome stands for (what fitness evaluates and the result holds). */
  toParams(g: G): Params;
  /**
   * Optional: the niche of a genome (LongRoPE2: its critical index). Operators never move a genome to
   * another niche, so the loop reserves parents for every niche each generation: no niche is decided
   * by the first noisy scores of its seed.
   */
  niche?(g: G): string;
}
