/**
 * A cheap synthetic search for the harness tests: LongRoPE2 factors of a LLaMA3-like spec scored by
 * their distance to a fixed monotone curve (plus an optional delay to mimic model time). Run as a
 * script it performs the search with a journal and prints the result as JSON, so a test can kill it.
 *
 *   deno run --allow-read --allow-write tests/search/_synthetic.ts JOURNAL [--resume] [--delay MS]
 *
 * @module
 */
import { makeSpec } from "../../strategies/spec.ts";
import { type EvolutionResult, type EvolutionSettings, runEvolution } from "../../search/evolution.ts";
import { type Fitness, LocalPool } from "../../search/evaluator.ts";
import { Journal } from "../../search/journal.ts";
import { type Longrope2Genome, longrope2Space } from "../../search/spaces/longrope2_space.ts";

/** LLaMA3-8B's RoPE: 64 pairs, θ 500000, L0 8192; target 131072 (s = 16). */
export const LLAMA3_SPEC = makeSpec({ theta: 500000, headDim: 128, originalContext: 8192 });
export const TARGET = 131072;

export const SETTINGS: Partial<EvolutionSettings> = {
  population: 16,
  generations: 6,
  parents: 8,
  mutations: 4,
  crossovers: 4,
  seed: 7,
};

/** The harness's space: 12 candidate k, [23, 34] (fixed, so these tests do not move with the default range). */
export const space = () =>
  longrope2Space({ spec: LLAMA3_SPEC, targetLength: TARGET, criticalRange: [23, 34] });

/** Squared distance of the searched factors to 16 + 0.25·i, with a preference for k = 30. */
export function syntheticFitness(delayMs = 0): Fitness {
  return async ({ genome }) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const g = genome as Longrope2Genome;
    const d = g.upper.reduce((a, u, m) => a + (u / 100 - (16 + 0.25 * (g.critical_index + m - 24))) ** 2, 0);
    return d / g.upper.length + Math.abs(g.critical_index - 30);
  };
}

/** Runs the synthetic search, journaled at `path` when given. */
export async function runSynthetic(
  path?: string,
  resume = false,
  delayMs = 0,
  capacity = 1,
): Promise<EvolutionResult<Longrope2Genome>> {
  const sp = space();
  const opened = path
    ? await Journal.open(path, { test: "synthetic", space: sp.description, SETTINGS }, resume)
    : undefined;
  try {
    return await runEvolution({
      space: sp,
      evaluator: new LocalPool(syntheticFitness(delayMs), capacity),
      settings: SETTINGS,
      journal: opened?.journal,
      recorded: opened?.entries,
    });
  } finally {
    await opened?.journal.close();
  }
}

if (import.meta.main) {
  const [path, ...rest] = Deno.args;
  const delay = rest.includes("--delay") ? Number(rest[rest.indexOf("--delay") + 1]) : 0;
  const r = await runSynthetic(path, rest.includes("--resume"), delay);
  console.log(
    JSON.stringify({
      best: r.best,
      history: r.history,
      evaluated: r.evaluated,
      fresh: r.fresh,
      replayed: r.replayed,
    }),
  );
}
