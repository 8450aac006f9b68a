/**
 * The search result file (`ropekit-search-result` v1). `compare` reads `strategy` and `params`
 * (`longrope2@result.json`); the rest documents how the result was found.
 *
 * @module
 */
import type { Params, RopeSpec } from "../strategies/types.ts";
import type { HfExport } from "../strategies/export.ts";
import type { Budget } from "./budget.ts";
import type { EvolutionSettings, GenerationStats, StopReason } from "./evolution.ts";
import type { FitnessSettings } from "./strategy_fitness.ts";

/** Format marker of result files. */
export const RESULT_FORMAT = "ropekit-search-result";

/** A search result file. */
export interface SearchResultFile {
  format: typeof RESULT_FORMAT;
  version: 1;
  strategy: string;
  strategy_version: string;
  /** Parameters the strategy accepts, resolved (defaults filled): pass them as they are. */
  params: Params;
  /** Best fitness (lower is better): needle-driven perplexity or perplexity at the target. */
  fitness: number;
  fitness_kind: FitnessSettings["kind"];
  target_length: number;
  /** Per generation: best so far, mean of the population, candidates scored so far. */
  history: GenerationStats[];
  /** Seeds of the initial population (PI/NTK/YaRN, one per k, defaults) with their fitness. */
  seeds: { name: string; key: string; fitness: number }[];
  evaluations: { total: number; fresh: number; replayed: number; exhausted: number };
  stopped: StopReason;
  elapsed_seconds: number;
  settings: {
    evolution: EvolutionSettings;
    budget: Budget;
    workers: number;
    space: Record<string, unknown>;
    fitness: FitnessSettings;
    text: { name: string; chars: number; fnv1a: string };
    journal?: string;
  };
  model: { source: string; spec: RopeSpec };
  /** d_tcd = ⌈x⌉ (LongRoPE2 §2.1), d¹⁰_tcd and the official code's default k = d_tcd − 1. */
  theoretical_critical_dim: number;
  ten_period_critical_dim: number;
  default_critical_index: number;
  /** longrope2: the critical index k of the best candidate (0-based first searched pair). */
  found_critical_index?: number;
  /** The HF `rope_scaling` block to paste into config.json, with notes. */
  hf: HfExport;
}

/** Reads a result file and checks its marker; throws a clear error otherwise. */
export async function readSearchResult(path: string): Promise<SearchResultFile> {
  let data: unknown;
  try {
    data = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`search result ${path}: cannot read (${(e as Error).message})`);
  }
  const r = data as Partial<SearchResultFile>;
  if (r?.format !== RESULT_FORMAT || r.version !== 1 || typeof r.strategy !== "string" || !r.params) {
    throw new Error(`search result ${path}: not a ${RESULT_FORMAT} v1 file`);
  }
  return r as SearchResultFile;
}
