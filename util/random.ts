/**
 * A small seeded random generator (SplitMix32-style mixing of a 32-bit counter): the same seed gives
 * the same stream on every platform, which makes sampling and search reproducible.
 *
 * @module
 */

/** A reproducible stream of random numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** The internal state, to resume exactly where a stream stopped. */
  state(): number;
}

/** A generator seeded with `seed` (any integer); `state` resumes a stream saved by `rng.state()`. */
export function createRng(seed: number, state?: number): Rng {
  let s = state ?? ((seed | 0) ^ 0x9e3779b9) >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
    state: () => s,
  };
}
