/**
 * LongRoPE2 search space (arXiv 2502.20082 Alg. 1–2): a genome is the critical index k and strictly
 * increasing factors λ_k..λ_{D−1} on the grid within [s, 2s]; pairs below k are not searched but
 * follow NTK-left, λ_i = λ_k^(i/k). k is 0-based (`strategies/critical.ts`) and ranges over
 * [⌈x₁₀⌉ − 1, ⌈x⌉ − 1] — the paper's [d¹⁰_tcd, d_tcd] counted from 0, whose top is the official code's
 * default — so the search itself finds the real critical dimension: each seed carries one k, children
 * keep their parent's k, every k keeps parents of its own ({@linkcode SearchSpace.niche}), and
 * selection decides.
 *
 * @module
 */
import type { Rng } from "../../util/random.ts";
import type { Params, RopeSpec } from "../../strategies/types.ts";
import { criticalIndexRange } from "../../strategies/critical.ts";
import { ceilUnits, floorUnits, fromUnits, makeGrid, toUnits } from "../grid.ts";
import type { SearchSpace, Seed } from "../space.ts";
import { crossoverPass, drawBetween, GENE_PROBABILITY } from "./gene_pass.ts";
import { SearchSettingError } from "../search_setting_error.ts";

/** Options of {@linkcode longrope2Space}. */
export interface Longrope2SpaceOptions {
  /** The model's RoPE. */
  spec: RopeSpec;
  /** The length the searched factors extend to (s = target / L0). */
  targetLength: number;
  /** Grid step of the factors (default 0.01). */
  step?: number;
  /** Box of the searched factors (default [s, 2s], paper Alg. 2). */
  minFactor?: number;
  /** Upper end of the searched factors' box (default 2s). */
  maxFactor?: number;
  /** Candidate critical indices [lo, hi], 0-based (default [⌈x₁₀⌉ − 1, ⌈x⌉ − 1], clamped to [1, D−1]). */
  criticalRange?: [number, number];
  /** Probability that a mutation pass changes each gene (official: 0.3). */
  geneProbability?: number;
  /** How far above its neighbour the last factor may move in one mutation (official: 4). */
  lastReach?: number;
}

/** k and the searched factors λ_k..λ_{D−1} in grid units. */
export interface Longrope2Genome {
  /** The 0-based critical index k: pairs below it take NTK's factors, from it on the searched ones. */
  critical_index: number;
  /** The searched factors λ_k..λ_{D−1}, in grid units. */
  upper: number[];
}

/** The default range of k (0-based): [⌈x₁₀⌉ − 1, ⌈x⌉ − 1] kept inside [1, D−1]; see `criticalIndexRange`. */
export const criticalRange: (spec: RopeSpec) => [number, number] = criticalIndexRange;

/** The full factor vector: searched factors from k, NTK-left below. */
export function expandFactors(k: number, upper: readonly number[]): number[] {
  const lambdaK = upper[0];
  return [...Array.from({ length: k }, (_, i) => Math.pow(lambdaK, i / k)), ...upper];
}

/** Builds the space. */
export function longrope2Space(opts: Longrope2SpaceOptions): SearchSpace<Longrope2Genome> {
  const { spec, targetLength } = opts;
  const pairs = spec.rotaryDim / 2;
  const s = targetLength / spec.originalContext;
  if (!(s > 1)) {
    throw new SearchSettingError(
      `longrope2 search: target ${targetLength} must exceed L0 = ${spec.originalContext}`,
    );
  }
  if (pairs < 2) throw new SearchSettingError("longrope2 search needs at least 2 frequency pairs");
  const grid = makeGrid(opts.step ?? 0.01);
  const lo = ceilUnits(grid, opts.minFactor ?? s);
  const hi = floorUnits(grid, opts.maxFactor ?? 2 * s);
  const reach = toUnits(grid, opts.lastReach ?? 4);
  const p = opts.geneProbability ?? GENE_PROBABILITY;
  const [kLo, kHi] = opts.criticalRange ?? criticalRange(spec);
  if (!Number.isInteger(kLo) || !Number.isInteger(kHi) || kLo < 1 || kHi > pairs - 1 || kLo > kHi) {
    throw new SearchSettingError(
      `longrope2 search: critical index range [${kLo}, ${kHi}] must lie within [1, ${pairs - 1}]`,
    );
  }
  // Strictly increasing needs one grid point per searched pair; the smallest k has the most pairs.
  if (hi - lo < pairs - kLo - 1 || lo < ceilUnits(grid, 1)) {
    throw new SearchSettingError(
      `longrope2 search: box [${fromUnits(grid, lo)}, ${fromUnits(grid, hi)}] cannot hold ${pairs - kLo} ` +
        `strictly increasing factors ≥ 1 on a ${1 / grid.perUnit} grid`,
    );
  }
  const value = (u: number) => fromUnits(grid, u);

  return {
    description: {
      kind: "longrope2",
      pairs,
      step: 1 / grid.perUnit,
      box: [value(lo), value(hi)],
      critical_range: [kLo, kHi],
      gene_probability: p,
      last_reach: value(reach),
      monotone: "strictly increasing",
    },
    seeds(rng: Rng): Seed<Longrope2Genome>[] {
      // Paper Alg. 1: per k, all searched factors start at a whole s0 drawn from [s, 2s]; the 0.1
      // spacing (official code) makes the seed strictly increasing, squeezed to fit the box.
      const wholeLo = Math.ceil(value(lo) - 1e-9);
      const wholeHi = Math.floor(value(hi) + 1e-9);
      const out: Seed<Longrope2Genome>[] = [];
      for (let k = kLo; k <= kHi; k++) {
        const n = pairs - k;
        const s0 = wholeLo <= wholeHi ? wholeLo + rng.int(wholeHi - wholeLo + 1) : value(lo);
        let start = Math.max(lo, toUnits(grid, s0));
        const spacing = n > 1
          ? Math.max(1, Math.min(toUnits(grid, 0.1), Math.floor((hi - start) / (n - 1))))
          : 0;
        start = Math.min(start, hi - spacing * (n - 1));
        const upper = Array.from({ length: n }, (_, m) => start + spacing * m);
        out.push({ name: `k=${k} s0=${value(start)}`, genome: { critical_index: k, upper } });
      }
      return out;
    },
    mutate(parent, rng) {
      const k = parent.critical_index;
      const u = parent.upper.slice();
      const last = u.length - 1;
      for (let m = 0; m <= last; m++) {
        if (!rng.chance(p)) continue;
        // Below the first searched pair sits the NTK-left value λ_{k−1} = λ_k^((k−1)/k) (official
        // code), which the box then raises to s; the last pair may reach `lastReach` above its neighbour.
        const left = m === 0 ? ceilUnits(grid, Math.pow(value(u[0]), (k - 1) / k)) : u[m - 1];
        const right = m === last ? (m === 0 ? left : u[m - 1]) + reach : u[m + 1];
        u[m] = drawBetween(rng, Math.max(left, lo), Math.min(right, hi), u[m]);
      }
      return { critical_index: k, upper: u };
    },
    crossover(child, donor, rng) {
      // Genes are aligned by pair index; the donor has no searched value below its own k.
      const k = child.critical_index;
      const donorByPair = Array.from(
        { length: pairs },
        (_, i) => i >= donor.critical_index ? donor.upper[i - donor.critical_index] : undefined,
      );
      const childByPair = [...new Array<number>(k).fill(0), ...child.upper];
      const mixed = crossoverPass(childByPair, donorByPair as number[], rng, p, k);
      return { critical_index: k, upper: mixed.slice(k) };
    },
    violation(g) {
      const k = g.critical_index;
      if (!Number.isInteger(k) || k < kLo || k > kHi) {
        return `critical index ${k} is outside [${kLo}, ${kHi}]`;
      }
      if (g.upper.length !== pairs - k) {
        return `expected ${pairs - k} searched factors, got ${g.upper.length}`;
      }
      for (const [m, v] of g.upper.entries()) {
        if (!Number.isInteger(v) || v < lo || v > hi) {
          return `factor ${k + m} = ${value(v)} is outside [${value(lo)}, ${value(hi)}]`;
        }
        if (m > 0 && v <= g.upper[m - 1]) return `factor ${k + m} does not increase`;
      }
      return null;
    },
    key: (g) => `${g.critical_index}|${g.upper.join(",")}`,
    niche: (g) => `k=${g.critical_index}`,
    toParams(g): Params {
      return {
        critical_index: g.critical_index,
        long_factor: expandFactors(g.critical_index, g.upper.map(value)),
        factor: s,
      };
    },
  };
}
