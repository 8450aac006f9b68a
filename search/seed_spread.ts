/**
 * `--seeds N`: the spread of what N independent searches found. One seed's result says little when
 * the fitness is noisy — which critical index wins, and how far the factors move between seeds, is
 * what tells a finding from an accident of the random stream.
 *
 * @module
 */
import type { Params } from "../strategies/types.ts";
import type { SearchResultFile } from "./result.ts";

/** Format marker of the spread file. */
export const SPREAD_FORMAT = "ropekit-search-seeds";

/** Minimum, maximum, mean and sample standard deviation of one number across seeds. */
export interface Spread {
  /** Smallest value across seeds. */
  min: number;
  /** Largest value across seeds. */
  max: number;
  /** Mean across seeds. */
  mean: number;
  /** Sample standard deviation across seeds. */
  sd: number;
}

/** The spread file: every seed's result and the spread of each numeric parameter. */
export interface SeedSpreadFile {
  /** Always {@linkcode SPREAD_FORMAT}. */
  format: typeof SPREAD_FORMAT;
  /** Version of the spread format. */
  version: 1;
  /** The searched strategy's name. */
  strategy: string;
  /** The length every seed's search extended to. */
  target_length: number;
  /** One entry per seed: its result file, fitness (re-scored, with its standard error), search fitness and k. */
  runs: {
    seed: number;
    file: string;
    fitness: number;
    fitness_stderr?: number;
    search_fitness?: number;
    critical_index?: number;
  }[];
  /** The run with the lowest re-scored fitness (every seed re-scores on the same documents). */
  best: { seed: number; file: string };
  /** longrope2: how many seeds found each k, against the 0-based theoretical index. */
  critical_index?: { counts: Record<string, number>; default_critical_index: number };
  /** Per parameter: its spread, or one spread per element for arrays (factor vectors). */
  params: Record<string, Spread | Spread[]>;
}

function spreadOf(values: number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { min: Math.min(...values), max: Math.max(...values), mean, sd };
}

/** Numeric parameters (and numeric arrays of one length) shared by every run. */
function paramSpread(all: Params[]): Record<string, Spread | Spread[]> {
  const out: Record<string, Spread | Spread[]> = {};
  for (const [name, first] of Object.entries(all[0])) {
    const values = all.map((p) => p[name]);
    if (typeof first === "number" && values.every((v) => typeof v === "number")) {
      out[name] = spreadOf(values as number[]);
    } else if (
      Array.isArray(first) &&
      values.every((v) =>
        Array.isArray(v) && v.length === first.length && v.every((x) => typeof x === "number")
      )
    ) {
      out[name] = first.map((_, i) => spreadOf((values as number[][]).map((v) => v[i])));
    }
  }
  return out;
}

/** Summarises the results of one search run with several seeds. */
export function seedSpread(runs: { seed: number; file: string; result: SearchResultFile }[]): SeedSpreadFile {
  if (runs.length === 0) throw new RangeError("no search result to summarise");
  const first = runs[0].result;
  const rows = runs.map(({ seed, file, result: r }) => ({
    seed,
    file,
    fitness: r.fitness,
    ...(r.fitness_stderr !== undefined ? { fitness_stderr: r.fitness_stderr } : {}),
    ...(r.search_fitness !== undefined ? { search_fitness: r.search_fitness } : {}),
    // The k of each seed's result (files before result_critical_index called it found_critical_index).
    ...((r.result_critical_index ?? r.found_critical_index) !== undefined
      ? { critical_index: r.result_critical_index ?? r.found_critical_index }
      : {}),
  }));
  const best = [...rows].sort((a, b) => a.fitness - b.fitness || a.seed - b.seed)[0];
  const ks = rows.map((r) => r.critical_index).filter((k): k is number => k !== undefined);
  const counts: Record<string, number> = {};
  for (const k of ks) counts[k] = (counts[k] ?? 0) + 1;
  return {
    format: SPREAD_FORMAT,
    version: 1,
    strategy: first.strategy,
    target_length: first.target_length,
    runs: rows,
    best: { seed: best.seed, file: best.file },
    ...(ks.length
      ? { critical_index: { counts, default_critical_index: first.default_critical_index } }
      : {}),
    params: paramSpread(runs.map((r) => r.result.params)),
  };
}
