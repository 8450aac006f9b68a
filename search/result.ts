/**
 * The search result file (`ropekit-search-result` v2; v1 files, written before finalists were
 * re-scored, are still read). `compare`, `finetune` and every other reader go through
 * {@linkcode readSearchResult}, which checks the format and version; `strategy` and `params` are
 * what they use (`longrope2@result.json`), the rest documents how the result was found.
 *
 * @module
 */
import type { Params, RopeSpec } from "../strategies/types.ts";
import type { HfExport } from "../strategies/export.ts";
import type { Budget } from "./budget.ts";
import type { EvolutionSettings, GenerationStats, StopReason } from "./evolution.ts";
import type { FitnessSettings } from "./strategy_fitness.ts";
import { RopekitError } from "../util/errors.ts";
import type { CriticalVerdict } from "./critical_verdict.ts";
import type { PaperBudget } from "./paper_budget.ts";

/** Format marker of result files. */
export const RESULT_FORMAT = "ropekit-search-result";

/** The version written now; {@linkcode readSearchResult} also accepts the ones before it. */
export const RESULT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];

/** A fitness with its spread: mean answer NLL (or token NLL) over `n` documents and its standard error. */
export interface ScoreWithError {
  /** exp(mean NLL): needle-driven perplexity, or perplexity. */
  fitness: number;
  /** The mean NLL per document. */
  nll: number;
  /** Standard error of the mean NLL across documents. */
  stderr: number;
  /** Documents scored. */
  n: number;
}

/** One of the best candidates of a search, with its search-time score and its score on fresh documents. */
export interface Finalist {
  /** The candidate's canonical key. */
  key: string;
  /** 1 = the best by search fitness. */
  search_rank: number;
  /** The strategy parameters the candidate stands for. */
  params: Params;
  /** Its score on the search's documents (biased low by selection). */
  search: ScoreWithError;
  /** Its score on fresh documents of the re-scoring text range. */
  rescored: ScoreWithError;
  /** Set when the candidate is re-scored as the best of its niche (LongRoPE2: "k=N"), not for its rank. */
  niche_best?: string;
  /** Each fresh document's answer NLL (the same documents for every finalist, so they compare paired). */
  rescored_scores?: number[];
}

/** A search result file. */
export interface SearchResultFile {
  /** Always {@linkcode RESULT_FORMAT}. */
  format: typeof RESULT_FORMAT;
  /** Version of the result format ({@linkcode RESULT_VERSION} when written now). */
  version: number;
  /** The searched strategy's name. */
  strategy: string;
  /** The strategy's version when the result was written. */
  strategy_version: string;
  /** Parameters the strategy accepts, resolved (defaults filled): pass them as they are. */
  params: Params;
  /**
   * Fitness of the result (lower is better): needle-driven perplexity or perplexity at the target,
   * on the re-scoring documents (v2; v1: the search-time fitness).
   */
  fitness: number;
  /** v2: standard error of the result's mean NLL on the re-scoring documents. */
  fitness_stderr?: number;
  /** v2: the result's fitness during the search (biased low by selection). */
  search_fitness?: number;
  /** What the fitness measured: needle-driven perplexity or perplexity. */
  fitness_kind: FitnessSettings["kind"];
  /** The length the searched strategy extends to. */
  target_length: number;
  /** v2: the finalists in search order, each with both scores; the result is the best re-scored. */
  finalists?: Finalist[];
  /** Per generation: best so far, mean of the population, candidates scored so far. */
  history: GenerationStats[];
  /** Seeds of the initial population (PI/NTK/YaRN, one per k, defaults) with their fitness. */
  seeds: { name: string; key: string; fitness: number }[];
  /** Candidates scored (fresh + replayed from the journal) and proposals dropped for want of a valid variant. */
  evaluations: { total: number; fresh: number; replayed: number; exhausted: number };
  /** Why the search ended. */
  stopped: StopReason;
  /** Search time, summed over resumed sessions. */
  elapsed_seconds: number;
  /** Everything that determined the search: loop, budget, workers, space, fitness, finalists, text. */
  settings: {
    evolution: EvolutionSettings;
    budget: Budget;
    workers: number;
    space: Record<string, unknown>;
    fitness: FitnessSettings;
    /** v2: how many finalists, and the text range their documents come from. */
    finalists?: { count: number; share: number; textRange: [number, number] };
    text: { name: string; chars: number; fnv1a: string };
    journal?: string;
  };
  /** The model searched on and its RoPE. */
  model: { source: string; spec: RopeSpec };
  /**
   * The critical pair d_tcd = ⌈x⌉ (0-based: the first pair whose period exceeds L0) and d¹⁰_tcd = ⌈x₁₀⌉
   * (LongRoPE2 §2.1, `strategies/critical.ts`), and the official code's default k = ⌈x⌉ − 1.
   */
  theoretical_critical_dim: number;
  /** d¹⁰_tcd = ⌈x₁₀⌉: pairs from here on complete fewer than 10 periods within L0. */
  ten_period_critical_dim: number;
  /** The official code's default critical index ⌈x⌉ − 1. */
  default_critical_index: number;
  /** longrope2: the critical index k of the result's parameters (0-based first searched pair) — not a claim. */
  result_critical_index?: number;
  /** longrope2: the k the search found, present only when the verdict identifies it (see `critical_index_verdict`). */
  found_critical_index?: number;
  /** longrope2: every k's best genome re-scored on fresh documents, paired intervals, and the verdict on k. */
  critical_index_verdict?: CriticalVerdict;
  /** The search's budgets beside the paper's (LongRoPE2 App. B and §3.2). */
  budget_vs_paper?: PaperBudget;
  /** The HF `rope_scaling` block to paste into config.json, with notes. */
  hf: HfExport;
}

/** Thrown for a file that is not a readable search result. */
export class SearchResultError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "SearchResultError";
}

/** Checks that `data` is a search result this version reads; `where` names it in the error. */
export function checkSearchResult(data: unknown, where: string): SearchResultFile {
  const r = data as Partial<SearchResultFile> | null;
  if (!r || typeof r !== "object" || r.format !== RESULT_FORMAT) {
    throw new SearchResultError(
      `Result file ${where} is not a ${RESULT_FORMAT} file (written by deno task search)`,
    );
  }
  if (!READABLE_VERSIONS.includes(r.version as number)) {
    throw new SearchResultError(
      `Result file ${where} has version ${r.version}; this ropekit reads ${READABLE_VERSIONS.join(" and ")}`,
    );
  }
  if (typeof r.strategy !== "string" || !r.params || typeof r.params !== "object") {
    throw new SearchResultError(`Result file ${where} has no "strategy" and "params"`);
  }
  return r as SearchResultFile;
}

/** Reads and checks a result file; throws a {@linkcode SearchResultError} with one clear line otherwise. */
export async function readSearchResult(path: string): Promise<SearchResultFile> {
  let data: unknown;
  try {
    data = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new SearchResultError(`Cannot read result file ${path}: ${(e as Error).message}`);
  }
  return checkSearchResult(data, path);
}
