/**
 * Search over any strategy's declared parameters (its ParamSpace), so plugins can be tuned with the
 * same loop: numbers and integers within ranges, booleans and enums. A genome is one integer per
 * searched parameter — grid units for numbers, the value for integers, 0/1 for booleans, the index
 * for enums — so keys are exact. The strategy's own validation stays the authority: a genome
 * `resolveParams` rejects is invalid here too.
 *
 * @module
 */
import type { Rng } from "../../util/random.ts";
import type { ParamDef, Params, RopeSpec, Strategy } from "../../strategies/types.ts";
import { resolveParams } from "../../strategies/params.ts";
import { ceilUnits, floorUnits, fromUnits, makeGrid, toUnits } from "../grid.ts";
import type { SearchSpace } from "../space.ts";
import { crossoverPass, GENE_PROBABILITY } from "./gene_pass.ts";
import { SearchSettingError } from "../search_setting_error.ts";

/** Options of {@linkcode paramSpace}. */
export interface ParamSpaceOptions {
  /** The strategy whose declared parameters are searched. */
  strategy: Strategy;
  /** The model's RoPE (some ranges depend on it). */
  spec: RopeSpec;
  /** Parameters held fixed (and passed on with every candidate). */
  fixed?: Params;
  /** Parameters to search; default: every number, integer, boolean and enum with a default. */
  tune?: string[];
  /** Ranges that override or complete the declared ones, by parameter. */
  ranges?: Record<string, [number, number]>;
  /** Grid step of real-valued parameters (0.01). */
  step?: number;
  /** Probability that a mutation pass changes each parameter (default 0.3). */
  geneProbability?: number;
}

/** One searched parameter, as integers. */
interface Gene {
  name: string;
  def: ParamDef;
  lo: number;
  hi: number;
  /** The starting value (the declared default or fixed value), in gene units. */
  start: number;
}

/** How far a default-only bound reaches: [default/8, default·8]. */
const REACH = 8;

/** Resolves which parameters are searched and their integer ranges; throws naming what is missing. */
function genesOf(opts: ParamSpaceOptions): Gene[] {
  const { strategy } = opts;
  const grid = makeGrid(opts.step ?? 0.01);
  const fixed = opts.fixed ?? {};
  const ranges = opts.ranges ?? {};
  const where = (k: string) => `search over "${strategy.name}" parameter "${k}"`;
  for (const k of [...(opts.tune ?? []), ...Object.keys(ranges)]) {
    if (!(k in strategy.params)) {
      throw new SearchSettingError(
        `${where(k)}: no such parameter (known: ${Object.keys(strategy.params).join(", ")})`,
      );
    }
    if (k in fixed) throw new SearchSettingError(`${where(k)}: it is both fixed (--param) and searched`);
  }
  const names = opts.tune ??
    Object.entries(strategy.params)
      .filter(([k, d]) => !(k in fixed) && d.type !== "factors" && (d.default !== undefined || k in ranges))
      .map(([k]) => k);
  return names.map((name): Gene => {
    const def = strategy.params[name];
    switch (def.type) {
      case "boolean":
        return { name, def, lo: 0, hi: 1, start: def.default ? 1 : 0 };
      case "enum": {
        const start = def.default === undefined ? 0 : def.values.indexOf(def.default);
        return { name, def, lo: 0, hi: def.values.length - 1, start };
      }
      case "number":
      case "integer": {
        const given = ranges[name];
        const d = def.default;
        const derive = (side: "lower" | "upper") => {
          if (d === undefined || d <= 0) {
            throw new SearchSettingError(
              `${where(name)}: no declared ${side} bound; give one with --range ${name}=LO:HI`,
            );
          }
          return side === "lower" ? d / REACH : d * REACH;
        };
        let a = given?.[0] ?? def.min ?? derive("lower");
        const b = given?.[1] ?? def.max ?? derive("upper");
        const unit = def.type === "integer" ? { perUnit: 1 } : grid;
        // An exclusive minimum excludes its own grid point.
        if (def.type === "number" && def.exclusiveMin && def.min !== undefined && a <= def.min) {
          a = def.min + 1 / unit.perUnit;
        }
        const lo = ceilUnits(unit, a);
        const hi = floorUnits(unit, b);
        if (hi < lo) throw new SearchSettingError(`${where(name)}: empty range [${a}, ${b}]`);
        const start = Math.min(hi, Math.max(lo, toUnits(unit, d ?? (a + b) / 2)));
        return { name, def, lo, hi, start };
      }
      case "factors":
        throw new SearchSettingError(
          `${where(name)}: per-pair factors are searched by the longrope/longrope2 spaces`,
        );
    }
  });
}

/** Box–Muller: a standard normal draw from two uniforms of the seeded stream. */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Builds the space.
 *
 * @example Genomes are integers; the first seed is the strategy's declared defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramSpace } from "./param_space.ts";
 * import { builtinRegistry, makeSpec } from "../../strategies/mod.ts";
 * import { createRng } from "../../util/random.ts";
 *
 * const spec = makeSpec({ headDim: 64, originalContext: 512 });
 * const yarn = builtinRegistry().get("yarn");
 * const space = paramSpace({ strategy: yarn, spec, tune: ["beta_fast"], fixed: { factor: 4 } });
 * const [seed] = space.seeds(createRng(0));
 * assert.deepEqual(space.toParams(seed.genome), { factor: 4, beta_fast: 32 });
 * assert.equal(space.violation(seed.genome), null);
 * ```
 */
export function paramSpace(opts: ParamSpaceOptions): SearchSpace<number[]> {
  const { strategy, spec } = opts;
  const grid = makeGrid(opts.step ?? 0.01);
  const fixed = opts.fixed ?? {};
  const p = opts.geneProbability ?? GENE_PROBABILITY;
  const genes = genesOf(opts);
  if (genes.length === 0) {
    throw new SearchSettingError(`search over "${strategy.name}": no parameter to search`);
  }
  const valueOf = (gene: Gene, v: number) => {
    const def = gene.def;
    if (def.type === "boolean") return v === 1;
    if (def.type === "enum") return def.values[v];
    return def.type === "integer" ? v : fromUnits(grid, v);
  };
  const decode = (g: number[]): Params => {
    const out: Params = { ...fixed };
    genes.forEach((gene, i) => out[gene.name] = valueOf(gene, g[i]));
    return out;
  };

  return {
    description: {
      kind: "params",
      strategy: strategy.name,
      strategy_version: strategy.version,
      step: 1 / grid.perUnit,
      gene_probability: p,
      fixed,
      genes: genes.map((g) => ({
        name: g.name,
        type: g.def.type,
        range: [valueOf(g, g.lo), valueOf(g, g.hi)],
        start: valueOf(g, g.start),
      })),
    },
    seeds: () => [{ name: "defaults", genome: genes.map((g) => g.start) }],
    mutate(parent, rng) {
      return parent.map((v, i) => {
        if (!rng.chance(p)) return v;
        const { lo, hi, def } = genes[i];
        if (def.type === "boolean") return 1 - v;
        if (def.type === "enum") {
          if (hi === 0) return v;
          const other = rng.int(hi); // any index but the current one
          return other >= v ? other + 1 : other;
        }
        // A normal step of a tenth of the range, at least one grid point.
        const sigma = Math.max(1, (hi - lo) / 10);
        return Math.min(hi, Math.max(lo, v + Math.round(normal(rng) * sigma)));
      });
    },
    crossover: (child, donor, rng) => crossoverPass(child, donor, rng, p),
    violation(g) {
      if (g.length !== genes.length) return `expected ${genes.length} genes, got ${g.length}`;
      for (const [i, v] of g.entries()) {
        if (!Number.isInteger(v) || v < genes[i].lo || v > genes[i].hi) {
          return `${genes[i].name} is out of range`;
        }
      }
      try {
        resolveParams(strategy.name, strategy.params, decode(g), spec);
      } catch (e) {
        return (e as Error).message;
      }
      return null;
    },
    key: (g) => g.join(","),
    toParams: decode,
  };
}
