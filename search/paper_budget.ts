/**
 * A search's budgets beside LongRoPE2's, so every result states how far it is from the paper's search:
 * population 64 and 40 iterations of 16 mutations + 16 crossovers (App. B; the official code's
 * `dim_mono` settings) = 1,344 evaluations, each on 10 needle documents of the target length (128k
 * tokens for LLaMA3-8B, §3.2 and the official needle script), with no re-scoring of finalists.
 *
 * @module
 */
import type { EvolutionSettings } from "./evolution.ts";
import type { FitnessSettings } from "./strategy_fitness.ts";

/** The paper's numbers (LongRoPE2, LLaMA3-8B to 128k). */
export const PAPER_SEARCH = {
  evaluations: 64 + 40 * (16 + 16),
  fitnessDocuments: 10,
  tokensPerDocument: 131_072,
} as const;

/** One budget: this search's value and the paper's. */
export interface BudgetLine {
  /** This search's value. */
  this_search: number;
  /** The LongRoPE2 paper's value. */
  paper: number;
}

/** The budgets a result states beside the paper's. */
export interface PaperBudget {
  /** Candidates scored. */
  evaluations: BudgetLine;
  /** Planned by the loop settings (population + generations × (mutations + crossovers)). */
  planned_evaluations: BudgetLine;
  /** Needle documents per fitness evaluation. */
  fitness_documents: BudgetLine;
  /** Length of each fitness document in tokens. */
  tokens_per_document: BudgetLine;
  /** Candidates re-scored on fresh documents (the paper re-scores none). */
  rescored_finalists: BudgetLine;
  /** The budgets in one line. */
  summary: string;
}

/** This search's budgets beside the paper's. */
export function paperBudget(
  evaluated: number,
  fitness: FitnessSettings,
  evolution: EvolutionSettings,
  finalists: number,
): PaperBudget {
  const docs = fitness.kind === "needle"
    ? fitness.samples * Math.max(1, fitness.depths.length)
    : fitness.samples;
  const planned = evolution.population + evolution.generations * (evolution.mutations + evolution.crossovers);
  const P = PAPER_SEARCH;
  return {
    evaluations: { this_search: evaluated, paper: P.evaluations },
    planned_evaluations: { this_search: planned, paper: P.evaluations },
    fitness_documents: { this_search: docs, paper: P.fitnessDocuments },
    tokens_per_document: { this_search: fitness.length, paper: P.tokensPerDocument },
    rescored_finalists: { this_search: finalists, paper: 0 },
    summary:
      `${evaluated} evaluations (paper: ${P.evaluations}), each on ${docs} ${
        fitness.kind === "needle" ? "needle documents" : "windows"
      } of ${fitness.length} tokens (paper: ${P.fitnessDocuments} of ${P.tokensPerDocument}); ` +
      `${finalists} finalists re-scored on ${docs} fresh documents (paper: none)`,
  };
}
