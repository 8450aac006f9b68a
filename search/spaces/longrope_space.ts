/**
 * LongRoPE (v1) search space: one factor λ_i per frequency pair on the grid, non-decreasing, within
 * [1, 1 + s] (the official code's bound; the paper says 1.25·s — configurable), optionally with
 * LongRoPE's n̂ start tokens from a candidate set. Seeds: PI, NTK and YaRN at the target (paper
 * §3.2; the released code seeds YaRN only).
 *
 * @module
 */
import type { Rng } from "../../util/random.ts";
import type { Params, RopeSpec } from "../../strategies/types.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { factorsOf } from "../../strategies/export.ts";
import { ceilUnits, floorUnits, fromUnits, makeGrid, toUnits } from "../grid.ts";
import type { SearchSpace, Seed } from "../space.ts";
import { crossoverPass, drawBetween, GENE_PROBABILITY } from "./gene_pass.ts";
import { SearchSettingError } from "../search_setting_error.ts";

/** n̂ candidates of the LongRoPE paper (Table 4). */
export const PAPER_START_TOKENS: readonly number[] = [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256];

/** Options of {@linkcode longropeSpace}. */
export interface LongropeSpaceOptions {
  /** The model's RoPE. */
  spec: RopeSpec;
  /** The length the searched factors extend to (s = target / L0). */
  targetLength: number;
  /** Grid step (0.01). */
  step?: number;
  /** Largest factor (default 1 + s). */
  maxFactor?: number;
  /** n̂ candidates; absent = n̂ fixed at 0 (the released code's search). */
  startTokens?: readonly number[];
  /** Per-gene probability (0.3). */
  geneProbability?: number;
}

/** Factors in grid units; n̂ (0 when not searched). */
export interface LongropeGenome {
  /** One factor per frequency pair, in grid units. */
  factors: number[];
  /** n̂: the first positions that keep the original RoPE. */
  start_tokens: number;
}

/**
 * Builds the space (async: the seeds are the built-in PI/NTK/YaRN tables, rounded onto the grid,
 * clamped to the bounds and made non-decreasing).
 */
export async function longropeSpace(opts: LongropeSpaceOptions): Promise<SearchSpace<LongropeGenome>> {
  const { spec, targetLength } = opts;
  const s = targetLength / spec.originalContext;
  if (!(s > 1)) {
    throw new SearchSettingError(
      `longrope search: target ${targetLength} must exceed L0 = ${spec.originalContext}`,
    );
  }
  const grid = makeGrid(opts.step ?? 0.01);
  const maxFactor = opts.maxFactor ?? 1 + s;
  const lo = ceilUnits(grid, 1);
  const hi = floorUnits(grid, maxFactor);
  if (hi < lo) throw new SearchSettingError(`longrope search: max factor ${maxFactor} is below 1`);
  const p = opts.geneProbability ?? GENE_PROBABILITY;
  const starts = opts.startTokens ? [...new Set(opts.startTokens)].sort((a, b) => a - b) : [0];
  if (starts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new SearchSettingError(
      `longrope search: start tokens must be whole numbers ≥ 0, got ${starts.join(",")}`,
    );
  }
  const pairs = spec.rotaryDim / 2;

  const registry = builtinRegistry();
  const seeds: Seed<LongropeGenome>[] = [];
  for (const name of ["pi", "ntk", "yarn"]) {
    const table = await buildTable(registry.get(name), spec, { targetLength });
    let prev = lo;
    const factors = factorsOf(spec, table.invFreq).map((f) => {
      prev = Math.max(prev, Math.min(hi, toUnits(grid, f)));
      return prev;
    });
    seeds.push({ name, genome: { factors, start_tokens: 0 } });
  }

  return {
    description: {
      kind: "longrope",
      pairs,
      step: 1 / grid.perUnit,
      bounds: [1, fromUnits(grid, hi)],
      start_tokens: starts,
      gene_probability: p,
      monotone: "non-decreasing",
    },
    seeds: () =>
      seeds.map((x) => ({ name: x.name, genome: { ...x.genome, factors: x.genome.factors.slice() } })),
    mutate(parent: LongropeGenome, rng: Rng): LongropeGenome {
      const f = parent.factors.slice();
      const last = f.length - 1;
      // Each gene moves between its neighbours (official dim_mono.mutate): the first from the lower
      // bound up to (excluding) its right neighbour, the last from its left neighbour to the bound.
      for (let j = 0; j <= last; j++) {
        if (!rng.chance(p)) continue;
        const a = j === 0 ? lo : f[j - 1];
        const b = j === last ? hi : j === 0 ? f[1] - 1 : f[j + 1];
        f[j] = drawBetween(rng, a, b, f[j]);
      }
      // n̂ is a gene too (the paper-era code tried n̂ in a separate step; a gene keeps one loop).
      const n = starts.length > 1 && rng.chance(p) ? rng.pick(starts) : parent.start_tokens;
      return { factors: f, start_tokens: n };
    },
    crossover(child, donor, rng) {
      const genes = crossoverPass(
        [child.start_tokens, ...child.factors],
        [donor.start_tokens, ...donor.factors],
        rng,
        p,
      );
      return { start_tokens: genes[0], factors: genes.slice(1) };
    },
    violation(g) {
      if (g.factors.length !== pairs) return `expected ${pairs} factors, got ${g.factors.length}`;
      for (const [i, u] of g.factors.entries()) {
        if (!Number.isInteger(u) || u < lo || u > hi) {
          return `factor ${i} = ${fromUnits(grid, u)} is outside [1, ${fromUnits(grid, hi)}]`;
        }
        if (i > 0 && u < g.factors[i - 1]) return `factor ${i} decreases`;
      }
      if (!starts.includes(g.start_tokens)) return `start tokens ${g.start_tokens} is not a candidate`;
      return null;
    },
    key: (g) => `${g.start_tokens}|${g.factors.join(",")}`,
    toParams(g): Params {
      return {
        long_factor: g.factors.map((u) => fromUnits(grid, u)),
        factor: s,
        ...(g.start_tokens > 0 ? { start_tokens: g.start_tokens } : {}),
      };
    },
  };
}
