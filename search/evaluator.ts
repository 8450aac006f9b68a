/**
 * Evaluators run fitness for the search loop. The loop hands out up to `capacity` tasks at once and
 * never assumes where they run: a task is plain JSON (key, genome, strategy params), so a pool of
 * remote workers behind a queue can implement {@linkcode Evaluator} exactly like the local pool.
 *
 * @module
 */
import type { LanguageModel, TableFor } from "../eval/language_model.ts";
import type { Params } from "../strategies/types.ts";
import { mean } from "../util/stats.ts";
import { SearchSettingError } from "./search_setting_error.ts";

/** One candidate to score. Plain JSON: it can be queued, sent to a worker and logged. */
export interface EvalTask {
  /** The candidate's canonical key (see `SearchSpace.key`). */
  key: string;
  /** The candidate as its search space encodes it (plain JSON). */
  genome: unknown;
  /** The strategy parameters the genome stands for. */
  params: Params;
}

/** A fitness value (lower is better) with optional JSON detail kept in the journal. */
export interface EvalOutcome {
  /** Lower is better; non-finite values rank last. */
  fitness: number;
  /** Anything the fitness wants journaled beside the value (e.g. its standard error). */
  detail?: unknown;
}

/** A fitness function: lower is better. Non-finite values rank last. */
export type Fitness = (task: EvalTask) => Promise<number | EvalOutcome>;

/** Runs tasks; `capacity` of them may be in flight at once. */
export interface Evaluator {
  /** How many tasks may be in flight at once. */
  readonly capacity: number;
  /** Scores one task. */
  evaluate(task: EvalTask): Promise<EvalOutcome>;
}

/** Normalises what a fitness function returned. */
export function toOutcome(v: number | EvalOutcome): EvalOutcome {
  return typeof v === "number" ? { fitness: v } : v;
}

/**
 * The in-process pool: calls `fitness` directly. With capacity > 1 the calls overlap, which helps
 * fitness that awaits I/O or a GPU; CPU-bound model evaluation in one isolate gains nothing from it.
 */
export class LocalPool implements Evaluator {
  /** A pool calling `fitness` with up to `capacity` calls overlapping. */
  constructor(private readonly fitness: Fitness, readonly capacity = 1) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new SearchSettingError(`pool capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Calls the fitness function on `task`. */
  async evaluate(task: EvalTask): Promise<EvalOutcome> {
    return toOutcome(await this.fitness(task));
  }
}

/**
 * One document to score: token ids (BOS first) and the positions whose NLL counts (`targets`, indices
 * into `ids`, each ≥ 1); without targets every token after the first counts. Plain JSON, so documents
 * travel to remote workers unchanged.
 */
export interface ScoreDoc {
  /** Token ids, BOS first. */
  ids: number[];
  /** Indices into `ids` (each ≥ 1) whose NLL counts; absent: every token after the first. */
  targets?: number[];
}

/**
 * The evaluation seam: per-document mean NLL of `docs` under the tables `tableFor` gives. The
 * in-process scorer ({@linkcode localScorer}) runs the model here; a queue scorer sends the same call
 * (model content hash, tables, documents) to workers. Fitness is computed from these scores in one
 * place, so both give bit-identical search results.
 */
export type DocumentScorer = (tableFor: TableFor, docs: ScoreDoc[]) => Promise<number[]>;

/** Mean of `nll` over a document's targets (nll[j] scores token j+1). */
export function targetMean(doc: ScoreDoc, nll: Float32Array): number {
  if (!doc.targets) return mean(nll);
  let s = 0;
  for (const i of doc.targets) s += nll[i - 1];
  return s / doc.targets.length;
}

/** Scores documents with a model in this process, one forward pass per document. */
export function localScorer(model: Pick<LanguageModel, "nll">): DocumentScorer {
  return async (tableFor, docs) => {
    const out: number[] = [];
    for (const doc of docs) {
      const [nll] = (await model.nll([doc.ids], await tableFor(doc.ids.length))).nll;
      out.push(targetMean(doc, nll));
    }
    return out;
  };
}
