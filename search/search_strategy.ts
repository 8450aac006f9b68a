/**
 * The search use case, shared by `deno task search` and the server: pick the space for a strategy
 * (LongRoPE, LongRoPE2, or its declared parameters), score candidates with a built-in fitness on a
 * model, journal every evaluation, and return the result file's content.
 *
 * @module
 */
import type { Corpus } from "../eval/corpus.ts";
import type { Model } from "../model/model.ts";
import type { Params, RopeSpec, Strategy } from "../strategies/types.ts";
import { buildTable } from "../strategies/registry.ts";
import { resolveParams } from "../strategies/params.ts";
import {
  defaultCriticalIndex,
  tenPeriodCriticalDim,
  theoreticalCriticalDim,
  theoreticalCriticalIndex,
} from "../strategies/critical.ts";
import { criticalVerdict } from "./critical_verdict.ts";
import { paperBudget } from "./paper_budget.ts";
import { toHfRopeScaling } from "../strategies/export.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { Budget } from "./budget.ts";
import { type DocumentScorer, type Evaluator, LocalPool, toOutcome } from "./evaluator.ts";
import { DEFAULT_EVOLUTION, type Evaluated, type EvolutionSettings, runEvolution } from "./evolution.ts";
import { Journal, type RescoreEntry } from "./journal.ts";
import type { SearchSpace } from "./space.ts";
import { type FitnessDetail, type FitnessSettings, strategyFitness } from "./strategy_fitness.ts";
import { longropeSpace } from "./spaces/longrope_space.ts";
import { longrope2Space } from "./spaces/longrope2_space.ts";
import { paramSpace } from "./spaces/param_space.ts";
import { type Finalist, RESULT_FORMAT, RESULT_VERSION, type SearchResultFile } from "./result.ts";
import { SearchSettingError } from "./search_setting_error.ts";

/** Space settings; each space reads the ones that apply to it. */
export interface SpaceSettings {
  /** Grid step of the searched values (default 0.01). */
  step?: number;
  /** longrope: upper bound (1 + s); longrope2: box [min, max] (default [s, 2s]). */
  minFactor?: number;
  /** Upper end of the factor box. */
  maxFactor?: number;
  /** longrope: n̂ candidates to search. */
  startTokens?: number[];
  /** longrope2: candidate critical indices. */
  criticalRange?: [number, number];
  /** Parameters held fixed and passed with every candidate (e.g. attention_factor). */
  fixed?: Params;
  /** Parameter search: which parameters, and ranges completing the declared ones. */
  tune?: string[];
  /** Ranges by parameter, overriding or completing the declared ones. */
  ranges?: Record<string, [number, number]>;
}

/**
 * Finalist re-scoring: the top candidates — and the best candidate of every niche (LongRoPE2: of every
 * critical index k) — scored again on documents no search evaluation used.
 */
export interface FinalistSettings {
  /** How many of the best candidates are re-scored (5), besides each niche's best; the result is the best re-scored one. */
  count: number;
  /**
   * The share of the text range kept for re-scoring (its end, 0.25): search documents come from the
   * rest, so the two sets never share filler.
   */
  share: number;
}

/** Five finalists, re-scored on the last quarter of the search's text range. */
export const DEFAULT_FINALISTS: FinalistSettings = { count: 5, share: 0.25 };

/** Options of {@linkcode searchStrategy}. */
export interface StrategySearchOptions {
  /** The strategy searched (its factors or its declared parameters). */
  strategy: Strategy;
  /** The model whose NLL is the fitness. */
  model: Model;
  /** The full text; the search uses `fitness.textRange` of it, split by `finalists.share`. */
  corpus: Corpus;
  /** The length the searched strategy extends to. */
  targetLength: number;
  /** What the fitness measures (needle or perplexity), on which documents; the length is the target. */
  fitness: Omit<FitnessSettings, "length">;
  /** How many finalists are re-scored, and the share of the text kept for them. */
  finalists?: Partial<FinalistSettings>;
  /** Loop sizes and seed ({@linkcode DEFAULT_EVOLUTION} where missing). */
  evolution?: Partial<EvolutionSettings>;
  /** Settings of the search space (grid, bounds, critical range, tuned parameters). */
  space?: SpaceSettings;
  /** Stops the search early after a number of evaluations or seconds. */
  budget?: Budget;
  /** Evaluations in flight at once (local pool capacity). */
  workers?: number;
  /** Scores candidates instead of the local pool; `workers` is then unused. */
  evaluator?: Evaluator;
  /** Runs the model for the built-in fitness (default: in process; `queue/` sends it to workers). */
  scorer?: DocumentScorer;
  /** Journal file; with `resume`, an existing journal of the same search is continued. */
  journalPath?: string;
  /** Continue the journal of an earlier session of the same search instead of refusing it. */
  resume?: boolean;
  /** Receives a progress event after every evaluation. */
  onProgress?: ProgressSink;
}

/** Parameters a factor space sets itself (and so cannot be fixed). */
const SET_BY_SPACE: Record<string, string[]> = {
  longrope: ["long_factor", "factor", "start_tokens"],
  longrope2: ["critical_index", "long_factor", "factor"],
};

/** The search space for a strategy: LongRoPE and LongRoPE2 search factors, the rest their parameters. */
export async function spaceFor(
  strategy: Strategy,
  spec: RopeSpec,
  targetLength: number,
  o: SpaceSettings = {},
): Promise<SearchSpace<unknown>> {
  const setBySpace = SET_BY_SPACE[strategy.name];
  if (setBySpace && (o.tune || o.ranges)) {
    throw new SearchSettingError(
      `${strategy.name} searches its factors; --tune/--range apply to parameter search only`,
    );
  }
  if (strategy.name !== "longrope" && o.startTokens) {
    throw new SearchSettingError("start tokens are searched by longrope only");
  }
  if (strategy.name !== "longrope2" && o.criticalRange) {
    throw new SearchSettingError("a critical index range applies to longrope2 only");
  }
  if (!setBySpace) {
    return paramSpace({ strategy, spec, fixed: o.fixed, tune: o.tune, ranges: o.ranges, step: o.step });
  }
  const fixed = o.fixed ?? {};
  const clash = Object.keys(fixed).filter((k) => setBySpace.includes(k));
  if (clash.length) {
    throw new SearchSettingError(`the search sets ${clash.join(", ")}: it cannot also be fixed`);
  }
  const { step, minFactor, maxFactor } = o;
  const space: SearchSpace<unknown> = strategy.name === "longrope"
    ? await longropeSpace({ spec, targetLength, step, maxFactor, startTokens: o.startTokens })
    : longrope2Space({ spec, targetLength, step, minFactor, maxFactor, criticalRange: o.criticalRange });
  if (Object.keys(fixed).length === 0) return space;
  return {
    ...space,
    description: { ...space.description, fixed },
    toParams: (g) => ({ ...fixed, ...space.toParams(g) }),
  };
}

/** FNV-1a of a text: identifies the corpus in a journal fingerprint without storing it. */
function textHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** Splits [a, b] at a + (b − a)·(1 − share): the search's part and the re-scoring part. */
export function splitTextRange(range: [number, number], share: number): {
  search: [number, number];
  rescore: [number, number];
} {
  if (!(share > 0 && share < 1)) {
    throw new SearchSettingError(`the finalists' share of the text range must lie in (0, 1), got ${share}`);
  }
  const [a, b] = range;
  const m = Math.round((a + (b - a) * (1 - share)) * 1e6) / 1e6;
  return { search: [a, m], rescore: [m, b] };
}

/** A score and its spread as the result file states it. */
function scored(fitness: number, detail: unknown): Finalist["search"] {
  const d = (detail ?? {}) as Partial<FitnessDetail>;
  return { fitness, nll: d.nll ?? NaN, stderr: d.stderr ?? NaN, n: d.n ?? 0 };
}

/**
 * The candidates to re-score: the `count` best by search fitness, then the best of every niche not among
 * them (LongRoPE2: every k gets its best genome re-scored, so k values compare on fresh documents).
 */
function finalistCandidates<G>(
  ranked: readonly Evaluated<G>[],
  count: number,
  niche?: (g: G) => string,
): Evaluated<G>[] {
  const finite = ranked.filter((c) => Number.isFinite(c.fitness));
  const top = finite.slice(0, count);
  if (!niche) return top;
  // `ranked` is best first, so the first candidate of each niche is that niche's best.
  const inTop = new Set(top), niches = new Set<string>(), extra: Evaluated<G>[] = [];
  for (const c of finite) {
    const n = niche(c.genome);
    if (niches.has(n)) continue;
    niches.add(n);
    if (!inTop.has(c)) extra.push(c);
  }
  return [...top, ...extra];
}

/** The per-k table and verdict of a LongRoPE2 search from its re-scored finalists (one per k at least). */
function kVerdict(
  finalists: Finalist[],
  best: { critical_index: number },
  spec: RopeSpec,
  space: SearchSpace<unknown>,
) {
  const byK = new Map<number, Finalist>();
  for (const f of finalists) {
    const k = f.params.critical_index as number;
    const have = byK.get(k);
    if (f.rescored_scores && (!have || f.search_rank < have.search_rank)) byK.set(k, f);
  }
  if (byK.size === 0) return undefined;
  return criticalVerdict({
    candidates: [...byK.values()].map((f) => ({
      k: f.params.critical_index as number,
      key: f.key,
      search_fitness: f.search.fitness,
      scores: f.rescored_scores!,
    })),
    selectedK: best.critical_index,
    theoreticalK: theoreticalCriticalIndex(spec),
    officialDefaultK: defaultCriticalIndex(spec),
    range: space.description.critical_range as [number, number],
  });
}

/**
 * Runs the search and returns the result file's content (the caller writes it).
 *
 * @example A tiny search of YaRN's beta_fast by perplexity at 2× L0, its result used as an entry
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchStrategy } from "./search_strategy.ts";
 * import { loadCorpus } from "../eval/corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 * import { resolveEntry } from "../entries/mod.ts";
 * import { builtinRegistry } from "../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/search.txt", model.tokenizer);
 * const registry = builtinRegistry();
 * const result = await searchStrategy({
 *   strategy: registry.get("yarn"),
 *   model,
 *   corpus,
 *   targetLength: 512,
 *   fitness: { kind: "ppl", samples: 2, depths: [0], dataSeed: 0, template: "story-pet", textRange: [0, 1] },
 *   evolution: { population: 3, generations: 1, parents: 2, mutations: 2, crossovers: 0 },
 *   finalists: { count: 2 },
 *   space: { tune: ["beta_fast"] },
 * });
 * assert.equal(result.strategy, "yarn");
 * assert.equal(result.evaluations.total, 5); // 3 initial candidates, then 2 mutations
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, JSON.stringify(result));
 * const entry = await resolveEntry(`yarn@${path}`, { registry });
 * assert.equal(entry.params.beta_fast, result.params.beta_fast);
 * await Deno.remove(path);
 * ```
 */
export async function searchStrategy(o: StrategySearchOptions): Promise<SearchResultFile> {
  const { strategy, model, targetLength } = o;
  const spec = model.spec;
  const finalistSettings: FinalistSettings = {
    count: o.finalists?.count ?? DEFAULT_FINALISTS.count,
    share: o.finalists?.share ?? DEFAULT_FINALISTS.share,
  };
  if (!Number.isInteger(finalistSettings.count) || finalistSettings.count < 1) {
    throw new SearchSettingError(
      `the number of finalists must be an integer ≥ 1, got ${finalistSettings.count}`,
    );
  }
  const ranges = splitTextRange(o.fitness.textRange, finalistSettings.share);
  const fitnessSettings: FitnessSettings = { ...o.fitness, length: targetLength, textRange: ranges.search };
  const rescoreSettings: FitnessSettings = { ...fitnessSettings, textRange: ranges.rescore };
  const evolution: EvolutionSettings = { ...DEFAULT_EVOLUTION, ...o.evolution };
  const space = await spaceFor(strategy, spec, targetLength, o.space);
  const fingerprint = {
    strategy: strategy.name,
    strategy_version: strategy.version,
    target_length: targetLength,
    model: { source: model.source, spec },
    text: { name: o.corpus.name, chars: o.corpus.text.length, fnv1a: textHash(o.corpus.text) },
    fitness: fitnessSettings,
    rescore: { ...finalistSettings, textRange: ranges.rescore },
    space: space.description,
    evolution,
  };
  const opened = o.journalPath
    ? await Journal.open(o.journalPath, fingerprint, o.resume ?? false)
    : undefined;
  let run;
  const finalists: Finalist[] = [];
  try {
    run = await runEvolution({
      space,
      evaluator: o.evaluator ??
        new LocalPool(strategyFitness(model, strategy, o.corpus, fitnessSettings, o.scorer), o.workers ?? 1),
      settings: evolution,
      budget: o.budget,
      journal: opened?.journal,
      recorded: opened?.entries,
      onProgress: o.onProgress,
      label: `search ${strategy.name}`,
    });
    // Finalists: the best candidates by search fitness, scored again on documents no evaluation of the
    // search used. Selection inflates the winner's search score (it won partly on its documents' noise);
    // the fresh score does not carry that bias, so it decides the result.
    const top = finalistCandidates(run.ranked, finalistSettings.count, space.niche?.bind(space));
    const topCount = Math.min(
      finalistSettings.count,
      run.ranked.filter((c) => Number.isFinite(c.fitness)).length,
    );
    const recorded = new Map((opened?.rescores ?? []).map((e) => [e.key, e]));
    const rescore = strategyFitness(model, strategy, o.corpus, rescoreSettings, o.scorer, true);
    for (const [i, c] of top.entries()) {
      let entry = recorded.get(c.key);
      if (!entry) {
        const t0 = performance.now();
        const out = toOutcome(
          await rescore({ key: c.key, genome: c.genome, params: space.toParams(c.genome) }),
        );
        entry = {
          type: "rescore",
          key: c.key,
          fitness: Number.isFinite(out.fitness) ? out.fitness : null,
          ...(out.detail !== undefined ? { detail: out.detail } : {}),
          seconds: (performance.now() - t0) / 1000,
        } satisfies RescoreEntry;
        await opened?.journal.append(entry);
      }
      o.onProgress?.({ task: `re-score finalists of ${strategy.name}`, done: i + 1, total: top.length });
      finalists.push({
        key: c.key,
        search_rank: run.ranked.indexOf(c) + 1,
        params: space.toParams(c.genome),
        search: scored(c.fitness, c.detail),
        rescored: scored(entry.fitness ?? Infinity, entry.detail),
        ...(i >= topCount && space.niche ? { niche_best: space.niche(c.genome) } : {}),
        ...((entry.detail as FitnessDetail | undefined)?.scores
          ? { rescored_scores: (entry.detail as FitnessDetail).scores }
          : {}),
      });
    }
  } finally {
    await opened?.journal.close();
  }
  if (finalists.length === 0) throw new RangeError("no candidate of the search has a finite fitness");
  // The best re-scored finalist; ties go to the better search rank.
  const chosen =
    [...finalists].sort((a, b) =>
      a.rescored.fitness - b.rescored.fitness || a.search_rank - b.search_rank
    )[0];
  const params = resolveParams(strategy.name, strategy.params, chosen.params, spec);
  const table = await buildTable(strategy, spec, { targetLength }, params);
  const isV2 = strategy.name === "longrope2";
  const verdict = isV2
    ? kVerdict(finalists, run.best.genome as { critical_index: number }, spec, space)
    : undefined;
  return {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    strategy: strategy.name,
    strategy_version: strategy.version,
    params,
    fitness: chosen.rescored.fitness,
    fitness_stderr: chosen.rescored.stderr,
    search_fitness: chosen.search.fitness,
    fitness_kind: fitnessSettings.kind,
    target_length: targetLength,
    finalists,
    history: run.history,
    seeds: run.seeds,
    evaluations: { total: run.evaluated, fresh: run.fresh, replayed: run.replayed, exhausted: run.exhausted },
    stopped: run.stopped,
    elapsed_seconds: run.elapsedSeconds,
    settings: {
      evolution,
      budget: o.budget ?? {},
      workers: o.evaluator ? o.evaluator.capacity : o.workers ?? 1,
      space: space.description,
      fitness: fitnessSettings,
      finalists: { ...finalistSettings, textRange: ranges.rescore },
      text: fingerprint.text,
      ...(o.journalPath ? { journal: o.journalPath } : {}),
    },
    model: { source: model.source, spec },
    theoretical_critical_dim: theoreticalCriticalDim(spec),
    ten_period_critical_dim: tenPeriodCriticalDim(spec),
    default_critical_index: defaultCriticalIndex(spec),
    ...(isV2 ? { result_critical_index: params.critical_index as number } : {}),
    ...(verdict?.found_k !== undefined ? { found_critical_index: verdict.found_k } : {}),
    ...(verdict ? { critical_index_verdict: verdict } : {}),
    budget_vs_paper: paperBudget(run.evaluated, fitnessSettings, evolution, finalists.length),
    hf: toHfRopeScaling({ strategy: strategy.name, spec, params, table, targetLength }),
  };
}
