/**
 * The evolutionary search loop (LongRoPE Algorithm 1 / LongRoPE2 Algorithm 2 structure): an initial
 * population from the space's seeds and their mutations, then per generation the top-K become
 * parents and N1 mutations + N2 crossovers of them are evaluated.
 *
 * Determinism and resume: every child of a generation is proposed before any of them is evaluated,
 * so the random stream depends only on the seed and on fitness values of earlier generations — never
 * on evaluation order or timing. A resumed run therefore replays the same proposals from the start
 * and takes fitness recorded in the journal instead of re-evaluating; it reaches the state of the
 * killed run exactly and continues as the uninterrupted run would have.
 *
 * @module
 */
import { createRng } from "../util/random.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { Budget } from "./budget.ts";
import type { Evaluator } from "./evaluator.ts";
import type { Journal, JournalEntry } from "./journal.ts";
import type { SearchSpace } from "./space.ts";
import { SearchSettingError } from "./search_setting_error.ts";

/** Loop hyper-parameters. Defaults are the official code's (`default_hyper_params/dim_mono.json`). */
export interface EvolutionSettings {
  /** Initial population P. */
  population: number;
  /** Iterations T after the initial population. */
  generations: number;
  /** Top-K survivors that become parents. */
  parents: number;
  /** Mutations N1 per generation. */
  mutations: number;
  /** Crossovers N2 per generation (a failed crossover falls back to mutating the first parent). */
  crossovers: number;
  /** Seeds every random choice: the same seed proposes the same candidates. */
  seed: number;
  /** Crossover passes before giving up on a pair (official: 20). */
  crossoverTries: number;
  /** Mutation passes before giving up on a parent (official: unbounded; a cap keeps tiny spaces finite). */
  mutationTries: number;
}

/** P 64, T 40, K 32, N1 16, N2 16, 20 crossover tries. */
export const DEFAULT_EVOLUTION: EvolutionSettings = {
  population: 64,
  generations: 40,
  parents: 32,
  mutations: 16,
  crossovers: 16,
  seed: 0,
  crossoverTries: 20,
  mutationTries: 1000,
};

/** A scored candidate. */
export interface Evaluated<G> {
  /** The candidate's canonical key (duplicates share it). */
  key: string;
  /** The candidate itself. */
  genome: G;
  /** Lower is better; failures and NaN are +Infinity. */
  fitness: number;
  /** What the fitness function journaled beside the value. */
  detail?: unknown;
  /** The generation that proposed it (0 = initial population). */
  generation: number;
  /** Position in the deterministic proposal order (ties in fitness go to the earlier one). */
  order: number;
  /** The seed's name for seeds of the initial population. */
  seed?: string;
}

/** One generation's summary (no timing: a resumed run reproduces it exactly). */
export interface GenerationStats {
  /** The generation summarised (0 = initial population). */
  generation: number;
  /** Best fitness so far. */
  best: number;
  /** Mean fitness of this generation's population (parents + new children; finite values). */
  mean: number;
  /** Candidates scored so far. */
  evaluations: number;
}

/** Why the loop ended. */
export type StopReason = "completed" | "evaluations" | "time";

/** Result of {@linkcode runEvolution}. */
export interface EvolutionResult<G> {
  /** The best candidate (ties to the earlier proposal). */
  best: Evaluated<G>;
  /** Every scored candidate, best first (ties to the earlier proposal): finalists are taken from here. */
  ranked: Evaluated<G>[];
  /** One summary per generation. */
  history: GenerationStats[];
  /** Seeds of the initial population with their fitness. */
  seeds: { name: string; key: string; fitness: number }[];
  /** Candidates scored (fresh + replayed from the journal). */
  evaluated: number;
  /** Evaluator calls made by this run. */
  fresh: number;
  /** Candidates whose fitness came from the journal. */
  replayed: number;
  /** Proposals that were dropped because no valid, unseen variant was found. */
  exhausted: number;
  /** Why the loop ended. */
  stopped: StopReason;
  /** Search time, summed over resumed sessions. */
  elapsedSeconds: number;
}

/** Options of {@linkcode runEvolution}. */
export interface EvolutionOptions<G> {
  /** What is searched: seeds, mutation, crossover, constraints. */
  space: SearchSpace<G>;
  /** Where candidates are scored. */
  evaluator: Evaluator;
  /** Loop sizes and seed; missing fields are {@linkcode DEFAULT_EVOLUTION}'s. */
  settings?: Partial<EvolutionSettings>;
  /** Stops the search early after a number of evaluations or seconds. */
  budget?: Budget;
  /** Where to record evaluations, and what an earlier session of this search recorded. */
  journal?: Journal;
  /** What an earlier session of this search recorded: replayed, not scored again. */
  recorded?: JournalEntry[];
  /** Progress after every evaluation; `detail` is a {@linkcode SearchProgress}. */
  onProgress?: ProgressSink;
  /** Task name in progress events. */
  label?: string;
}

/** `detail` of the search's progress events. */
export interface SearchProgress {
  /** The generation being run. */
  generation: number;
  /** Generations planned. */
  generations: number;
  /** Best fitness so far. */
  best: number;
  /** Candidates scored so far (fresh and replayed). */
  evaluated: number;
  /** Candidates the whole search will score. */
  planned: number;
  /** Candidates whose fitness came from the journal. */
  replayed: number;
  /** Fresh evaluations per second in this session. */
  evalsPerSecond: number;
  /** Seconds left at the current rate (bounded by a time budget), NaN before the first evaluation. */
  etaSeconds: number;
  /** Search time so far, summed over sessions. */
  elapsedSeconds: number;
  /** True on the event that closes a generation. */
  generationDone: boolean;
}

function checkSettings(s: EvolutionSettings): void {
  for (const k of ["population", "parents", "crossoverTries", "mutationTries"] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) {
      throw new SearchSettingError(`search ${k} must be an integer ≥ 1, got ${s[k]}`);
    }
  }
  for (const k of ["generations", "mutations", "crossovers"] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 0) {
      throw new SearchSettingError(`search ${k} must be an integer ≥ 0, got ${s[k]}`);
    }
  }
  if (!Number.isInteger(s.seed)) {
    throw new SearchSettingError(`search seed must be an integer, got ${s.seed}`);
  }
}

const rank = <G>(a: Evaluated<G>, b: Evaluated<G>) => a.fitness - b.fitness || a.order - b.order;

/**
 * The top `count` of a population. With niches, each niche first keeps its best
 * ⌊count / (2·niches)⌋ (at least 1), the rest go by rank: half the parents stay shared among all
 * niches, so selection still favours the better ones, but none dies out on one noisy generation.
 */
export function selectParents<G>(
  population: readonly Evaluated<G>[],
  count: number,
  niche?: (g: G) => string,
): Evaluated<G>[] {
  const ranked = [...population].sort(rank);
  if (!niche) return ranked.slice(0, count);
  const byNiche = new Map<string, Evaluated<G>[]>();
  for (const c of ranked) {
    const n = niche(c.genome);
    byNiche.set(n, [...(byNiche.get(n) ?? []), c]);
  }
  const quota = Math.max(1, Math.floor(count / (2 * byNiche.size)));
  const chosen = new Set<Evaluated<G>>();
  for (const members of byNiche.values()) {
    for (const c of members.slice(0, quota)) chosen.add(c);
  }
  for (const c of ranked) {
    if (chosen.size >= Math.max(count, byNiche.size)) break;
    chosen.add(c);
  }
  return [...chosen].sort(rank);
}

/**
 * Runs the search; see the module comment for the determinism and resume guarantees.
 *
 * @example Minimise a cheap fitness over YaRN's beta_fast and beta_slow; the same seed gives the same search
 * ```ts
 * import assert from "node:assert/strict";
 * import { runEvolution } from "./evolution.ts";
 * import { type Fitness, LocalPool } from "./evaluator.ts";
 * import { paramSpace } from "./spaces/param_space.ts";
 * import { builtinRegistry, makeSpec } from "../strategies/mod.ts";
 *
 * const spec = makeSpec({ headDim: 64, originalContext: 512 });
 * const yarn = builtinRegistry().get("yarn");
 * const space = paramSpace({ strategy: yarn, spec, tune: ["beta_fast", "beta_slow"] });
 * const distance = (p: Record<string, unknown>) =>
 *   Math.abs((p.beta_fast as number) - 20) + Math.abs((p.beta_slow as number) - 2);
 * const fitness: Fitness = ({ params }) => Promise.resolve(distance(params));
 * const settings = { population: 8, generations: 4, parents: 4, mutations: 4, crossovers: 2, seed: 3 };
 * const a = await runEvolution({ space, evaluator: new LocalPool(fitness), settings });
 * const b = await runEvolution({ space, evaluator: new LocalPool(fitness), settings });
 * assert.equal(a.best.key, b.best.key);
 * assert.equal(a.ranked[0], a.best);
 * assert.equal(a.history.length, 5); // the initial population, then 4 generations
 * ```
 */
export async function runEvolution<G>(opts: EvolutionOptions<G>): Promise<EvolutionResult<G>> {
  const s = { ...DEFAULT_EVOLUTION, ...opts.settings };
  checkSettings(s);
  const { space, evaluator, journal } = opts;
  const budget = opts.budget ?? {};
  const rng = createRng(s.seed);
  const recorded = new Map((opts.recorded ?? []).map((e) => [e.key, e]));
  const baseElapsed = Math.max(0, ...(opts.recorded ?? []).map((e) => e.elapsed));
  const started = performance.now();
  const elapsed = () => baseElapsed + (performance.now() - started) / 1000;
  const planned = Math.min(
    s.population + s.generations * (s.mutations + s.crossovers),
    budget.evaluations ?? Infinity,
  );

  const seen = new Set<string>();
  const all: Evaluated<G>[] = [];
  const history: GenerationStats[] = [];
  let order = 0;
  let fresh = 0;
  let replayed = 0;
  let exhausted = 0;
  let stopped: StopReason = "completed";
  let best: Evaluated<G> | undefined;

  const accept = (g: G) => space.violation(g) === null && !seen.has(space.key(g));
  const mutateFrom = (parent: G): G | null => {
    let child = parent;
    for (let t = 0; t < s.mutationTries; t++) {
      child = space.mutate(child, rng);
      if (accept(child)) return child;
    }
    return null;
  };
  const crossoverOf = (a: G, b: G): G | null => {
    if (space.key(a) === space.key(b)) return null;
    let child = a;
    for (let t = 0; t < s.crossoverTries; t++) {
      child = space.crossover(child, b, rng);
      if (accept(child)) return child;
    }
    return null;
  };

  const progress = (generation: number, generationDone: boolean) => {
    const rate = fresh / Math.max(1e-9, (performance.now() - started) / 1000);
    const left = planned - all.length;
    let eta = fresh > 0 ? left / rate : NaN;
    if (budget.seconds !== undefined) {
      eta = Math.min(Number.isNaN(eta) ? Infinity : eta, budget.seconds - elapsed());
    }
    const detail: SearchProgress = {
      generation,
      generations: s.generations,
      best: best?.fitness ?? NaN,
      evaluated: all.length,
      planned,
      replayed,
      evalsPerSecond: rate,
      etaSeconds: Math.max(0, eta),
      elapsedSeconds: elapsed(),
      generationDone,
    };
    opts.onProgress?.({ task: opts.label ?? "search", done: all.length, total: planned, detail });
  };

  /** Scores a generation's proposals (in proposal order), replaying recorded fitness. */
  const evaluateGeneration = async (
    proposals: { genome: G; seed?: string }[],
    generation: number,
  ): Promise<Evaluated<G>[]> => {
    const room = (budget.evaluations ?? Infinity) - all.length;
    if (proposals.length > room) {
      proposals = proposals.slice(0, Math.max(0, room));
      stopped = "evaluations";
    }
    const candidates: Evaluated<G>[] = proposals.map((p) => ({
      key: space.key(p.genome),
      genome: p.genome,
      fitness: NaN,
      generation,
      order: order++,
      ...(p.seed ? { seed: p.seed } : {}),
    }));
    const done: Evaluated<G>[] = [];
    const finish = (c: Evaluated<G>) => {
      done.push(c);
      all.push(c);
      if (!best || rank(c, best) < 0) best = c;
      progress(generation, false);
    };
    const pending: Evaluated<G>[] = [];
    for (const c of candidates) {
      const r = recorded.get(c.key);
      if (!r) {
        pending.push(c);
        continue;
      }
      c.fitness = r.fitness ?? Infinity;
      if (r.detail !== undefined) c.detail = r.detail;
      replayed++;
      finish(c);
    }
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (next < pending.length && failure === undefined) {
        if (budget.seconds !== undefined && elapsed() >= budget.seconds) {
          stopped = "time";
          return;
        }
        const c = pending[next++];
        const t0 = performance.now();
        try {
          const out = await evaluator.evaluate({
            key: c.key,
            genome: c.genome,
            params: space.toParams(c.genome),
          });
          c.fitness = Number.isFinite(out.fitness) ? out.fitness : Infinity;
          if (out.detail !== undefined) c.detail = out.detail;
        } catch (e) {
          failure ??= e;
          return;
        }
        fresh++;
        await journal?.append({
          type: "eval",
          key: c.key,
          genome: c.genome,
          fitness: Number.isFinite(c.fitness) ? c.fitness : null,
          ...(c.detail !== undefined ? { detail: c.detail } : {}),
          generation,
          order: c.order,
          seconds: (performance.now() - t0) / 1000,
          elapsed: elapsed(),
        });
        finish(c);
      }
    };
    await Promise.all(Array.from({ length: Math.min(evaluator.capacity, pending.length) }, worker));
    if (failure !== undefined) throw failure;
    // Completion order varies with concurrency; everything downstream uses proposal order.
    return done.sort((a, b) => a.order - b.order);
  };

  const closeGeneration = (generation: number, population: Evaluated<G>[]) => {
    const finite = population.map((c) => c.fitness).filter(Number.isFinite);
    history.push({
      generation,
      best: best?.fitness ?? NaN,
      mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN,
      evaluations: all.length,
    });
    progress(generation, true);
  };

  // Generation 0: seeds, then mutations of the seeds in turn.
  const initial: { genome: G; seed?: string }[] = [];
  for (const seed of space.seeds(rng)) {
    if (initial.length >= s.population) break;
    if (accept(seed.genome)) {
      seen.add(space.key(seed.genome));
      initial.push({ genome: seed.genome, seed: seed.name });
    }
  }
  const seedCount = initial.length;
  if (seedCount === 0) throw new SearchSettingError("the search space produced no valid seed");
  for (let i = 0, misses = 0; initial.length < s.population && misses < seedCount; i++) {
    const child = mutateFrom(initial[i % seedCount].genome);
    if (!child) {
      misses++;
      exhausted++;
      continue;
    }
    misses = 0;
    seen.add(space.key(child));
    initial.push({ genome: child });
  }
  let population = await evaluateGeneration(initial, 0);
  closeGeneration(0, population);

  for (let g = 1; g <= s.generations && stopped === "completed"; g++) {
    const parents = selectParents(population, s.parents, space.niche?.bind(space));
    const k = parents.length;
    const children: { genome: G }[] = [];
    const add = (child: G | null) => {
      if (!child) {
        exhausted++;
        return;
      }
      seen.add(space.key(child));
      children.push({ genome: child });
    };
    for (let i = 0; i < s.mutations; i++) add(mutateFrom(parents[rng.int(k)].genome));
    for (let i = 0; i < s.crossovers; i++) {
      if (k < 2) {
        add(mutateFrom(parents[0].genome));
        continue;
      }
      // Two distinct ranks, the better one first (its genes are the child's starting point).
      const a = rng.int(k);
      let b = rng.int(k - 1);
      if (b >= a) b++;
      const [p1, p2] = a < b ? [parents[a], parents[b]] : [parents[b], parents[a]];
      add(crossoverOf(p1.genome, p2.genome) ?? mutateFrom(p1.genome));
    }
    const scored = await evaluateGeneration(children, g);
    population = [...parents, ...scored];
    closeGeneration(g, population);
    if (stopped === "completed" && budget.seconds !== undefined && elapsed() >= budget.seconds) {
      stopped = "time";
    }
  }

  if (!best) throw new SearchSettingError("the budget ran out before any candidate was evaluated");
  return {
    best,
    ranked: [...all].sort(rank),
    history,
    seeds: all.filter((c) => c.seed).map((c) => ({ name: c.seed!, key: c.key, fitness: c.fitness })),
    evaluated: all.length,
    fresh,
    replayed,
    exhausted,
    stopped,
    elapsedSeconds: elapsed(),
  };
}
