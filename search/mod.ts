/**
 * Evolutionary search of RoPE factors and strategy parameters: a generic loop over declared search
 * spaces (LongRoPE, LongRoPE2, any strategy's ParamSpace), pluggable evaluators, a resumable JSONL
 * journal, and the result file `compare` accepts.
 *
 * @example Tune YaRN's beta_fast/beta_slow against a cheap synthetic fitness
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry, makeSpec } from "../mod.ts";
 * import { type Fitness, LocalPool, paramSpace, runEvolution } from "./mod.ts";
 *
 * const spec = makeSpec({ headDim: 64, originalContext: 512 });
 * const yarn = builtinRegistry().get("yarn");
 * const space = paramSpace({ strategy: yarn, spec, tune: ["beta_fast", "beta_slow"] });
 * const fitness: Fitness = ({ params }) => Promise.resolve(Math.abs((params.beta_fast as number) - 20));
 * const settings = { population: 8, generations: 5, parents: 4, mutations: 2, crossovers: 2 };
 * const r = await runEvolution({ space, evaluator: new LocalPool(fitness), settings });
 * assert.ok(r.best.fitness <= Math.min(...r.seeds.map((s) => s.fitness))); // never worse than a seed
 * console.log(space.toParams(r.best.genome), r.best.fitness);
 * ```
 *
 * @module
 */
export { type Budget, parseBudget } from "./budget.ts";
export {
  type DocumentScorer,
  type EvalOutcome,
  type EvalTask,
  type Evaluator,
  type Fitness,
  LocalPool,
  type ScoreDoc,
  toOutcome,
} from "./evaluator.ts";
export {
  DEFAULT_EVOLUTION,
  type Evaluated,
  type EvolutionOptions,
  type EvolutionResult,
  type EvolutionSettings,
  type GenerationStats,
  runEvolution,
  type SearchProgress,
  selectParents,
  type StopReason,
} from "./evolution.ts";
export { fromUnits, type Grid, makeGrid, toUnits } from "./grid.ts";
export {
  Journal,
  JOURNAL_FORMAT,
  type JournalEntry,
  JournalError,
  type JournalHeader,
  parseJournal,
  type RescoreEntry,
} from "./journal.ts";
export { formatDuration, searchProgressLine, stderrSearchProgress } from "./progress.ts";
export {
  checkSearchResult,
  type Finalist,
  readSearchResult,
  RESULT_FORMAT,
  RESULT_VERSION,
  type ScoreWithError,
  SearchResultError,
  type SearchResultFile,
} from "./result.ts";
export {
  DEFAULT_FINALISTS,
  type FinalistSettings,
  searchStrategy,
  spaceFor,
  type SpaceSettings,
  splitTextRange,
  type StrategySearchOptions,
} from "./search_strategy.ts";
export type { SearchSpace, Seed } from "./space.ts";
export {
  type FitnessDetail,
  type FitnessSettings,
  searchNeedleDocs,
  strategyFitness,
} from "./strategy_fitness.ts";
export {
  type LongropeGenome,
  longropeSpace,
  type LongropeSpaceOptions,
  PAPER_START_TOKENS,
} from "./spaces/longrope_space.ts";
export {
  criticalRange,
  expandFactors,
  type Longrope2Genome,
  longrope2Space,
  type Longrope2SpaceOptions,
} from "./spaces/longrope2_space.ts";
export { paramSpace, type ParamSpaceOptions } from "./spaces/param_space.ts";
export { seedSpread, type SeedSpreadFile, type Spread, SPREAD_FORMAT } from "./seed_spread.ts";
export {
  chooseTemplate,
  InvalidNeedleError,
  MAGIC_NUMBER_DIGITS,
  type TemplateChoice,
} from "./template_choice.ts";
export {
  type CriticalVerdict,
  criticalVerdict,
  type KCandidate,
  type KDifference,
  type KRow,
} from "./critical_verdict.ts";
export { type BudgetLine, PAPER_SEARCH, type PaperBudget, paperBudget } from "./paper_budget.ts";
export { SearchSettingError } from "./search_setting_error.ts";
