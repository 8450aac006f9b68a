/**
 * `deno task search`: evolutionary search of a strategy's factors or parameters on a model, with a
 * resumable journal; writes a result file `compare` accepts and prints the HF `rope_scaling` block.
 *
 *   deno task search --strategy longrope2 --model M --target N --text FILE [options]
 *
 * @module
 */
import { loadCorpus } from "../eval/corpus.ts";
import { builtinRegistry } from "../strategies/registry.ts";
import type { Strategy } from "../strategies/types.ts";
import { isPluginSpecifier, PluginError, registerPlugin } from "../plugins/mod.ts";
import { parseParamArgs } from "../strategies/params.ts";
import { type Budget, parseBudget } from "../search/budget.ts";
import { DEFAULT_EVOLUTION, type EvolutionSettings } from "../search/evolution.ts";
import { stderrSearchProgress } from "../search/progress.ts";
import { searchStrategy, type SpaceSettings } from "../search/search_strategy.ts";
import { PAPER_START_TOKENS } from "../search/spaces/longrope_space.ts";
import { openQueueScorer } from "./queue_option.ts";
import {
  CliError,
  loadModelFromFlags,
  MODEL_OPTIONS,
  MODEL_USAGE,
  numberPair,
  parseFlags,
  positiveInt,
  required,
  runCommand,
} from "./args.ts";

const USAGE = `Usage: deno task search --strategy S --model M --target N --text FILE [options]

  --strategy S           longrope2 (LongRoPE2 factors + critical index), longrope (LongRoPE factors),
                         or any other strategy or plugin URL/path: its declared parameters are searched
  --target N             the context length to extend to
  --l0 N                 the model's trained context (overrides what its files say)
  --text FILE            text the fitness documents are cut from
  --fitness needle|ppl   needle-driven perplexity (default for longrope2) or perplexity (default otherwise)
  --template NAME        needle template: magic-number (default) or story-pet (children's-story models)
  --samples N            needle documents (depths 0, 1/N, …) or perplexity windows (default 10 / 5)
  --text-range A:B       fraction of the text the documents come from (default 0.5:1; evaluate on 0:0.5)
  --data-seed N          seed of document sampling (default 0)
  --seed S               search seed (default 0): the same seed and settings give the same result
  --population P         initial population (default 64); parents P/2, mutations and crossovers P/4
  --generations G        iterations after the initial population (default 40)
  --parents K            top-K parents (default 32)
  --mutations N          mutations per generation (default 16)
  --crossovers N         crossovers per generation (default 16)
  --budget B             stop after B evaluations (500) or a time (30m, 2h), whichever comes first
  --workers N            evaluations in flight at once (default 1; with --queue 2 per live worker)
  --queue URL            send evaluations to queue workers (deno task worker) on this Redis:
                         redis://[:password@]host:port[/db]; the result is the same as in-process
  --out FILE             result file (default search_<strategy>_<target>.json)
  --journal FILE         evaluation journal (default FILE.journal.jsonl beside --out)
  --resume               continue the search recorded in the journal (nothing is evaluated twice)
  --step X               grid step (default 0.01)
  --min-factor X         longrope2: lower bound of the searched factors (default s)
  --max-factor X         longrope: upper bound (default 1 + s); longrope2: upper bound (default 2s)
  --start-tokens LIST    longrope: search n̂ over a comma list, or "paper" for ${PAPER_START_TOKENS.join(",")}
  --critical-range A:B   longrope2: candidate critical indices (default [d10_tcd, d_tcd])
  --param k=v            hold a strategy parameter fixed (repeatable)
  --tune a,b             parameter search: which parameters (default: every one with a default)
  --range name=LO:HI     parameter search: range of a number (repeatable)
  --quiet                no progress on stderr
${MODEL_USAGE}`;

const OPTIONS = {
  ...MODEL_OPTIONS,
  strategy: { type: "string" },
  target: { type: "string" },
  l0: { type: "string" },
  text: { type: "string" },
  fitness: { type: "string" },
  template: { type: "string" },
  samples: { type: "string" },
  "text-range": { type: "string" },
  "data-seed": { type: "string" },
  seed: { type: "string" },
  population: { type: "string" },
  generations: { type: "string" },
  parents: { type: "string" },
  mutations: { type: "string" },
  crossovers: { type: "string" },
  budget: { type: "string" },
  workers: { type: "string" },
  queue: { type: "string" },
  out: { type: "string" },
  journal: { type: "string" },
  resume: { type: "boolean" },
  step: { type: "string" },
  "min-factor": { type: "string" },
  "max-factor": { type: "string" },
  "start-tokens": { type: "string" },
  "critical-range": { type: "string" },
  param: { type: "string", multiple: true },
  tune: { type: "string" },
  range: { type: "string", multiple: true },
  quiet: { type: "boolean" },
} as const;

function integer(flag: string, raw: unknown, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new CliError(`${flag} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function number(flag: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) {
    throw new CliError(`${flag} must be a number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** "A:B" → [A, B]. */
/** Loop settings: explicit flags win; --population alone scales the rest in the official ratios. */
function evolutionFrom(v: Record<string, unknown>): EvolutionSettings {
  const population = integer("--population", v.population, 1) ?? DEFAULT_EVOLUTION.population;
  const scaled = v.population !== undefined;
  const part = (d: number) =>
    scaled ? Math.max(1, Math.round(population * d / DEFAULT_EVOLUTION.population)) : undefined;
  return {
    ...DEFAULT_EVOLUTION,
    population,
    generations: integer("--generations", v.generations, 0) ?? DEFAULT_EVOLUTION.generations,
    parents: integer("--parents", v.parents, 1) ?? part(DEFAULT_EVOLUTION.parents) ??
      DEFAULT_EVOLUTION.parents,
    mutations: integer("--mutations", v.mutations, 0) ?? part(DEFAULT_EVOLUTION.mutations) ??
      DEFAULT_EVOLUTION.mutations,
    crossovers: integer("--crossovers", v.crossovers, 0) ?? part(DEFAULT_EVOLUTION.crossovers) ??
      DEFAULT_EVOLUTION.crossovers,
    seed: integer("--seed", v.seed, -(2 ** 31)) ?? 0,
  };
}

function spaceFrom(v: Record<string, unknown>, strategy: Strategy): SpaceSettings {
  const startRaw = v["start-tokens"] as string | undefined;
  const startTokens = startRaw === undefined
    ? undefined
    : startRaw === "paper"
    ? [...PAPER_START_TOKENS]
    : startRaw.split(",").map((x) => integer("--start-tokens", x.trim(), 0)!);
  const ranges = Object.fromEntries(((v.range as string[] | undefined) ?? []).map((r) => {
    const eq = r.indexOf("=");
    if (eq <= 0) throw new CliError(`--range must look like name=LO:HI, got "${r}"`);
    return [r.slice(0, eq), numberPair("--range", r.slice(eq + 1))];
  }));
  const fixed = parseParamArgs(strategy.name, strategy.params, (v.param as string[] | undefined) ?? []);
  return {
    step: number("--step", v.step),
    minFactor: number("--min-factor", v["min-factor"]),
    maxFactor: number("--max-factor", v["max-factor"]),
    startTokens,
    criticalRange: v["critical-range"] === undefined
      ? undefined
      : numberPair("--critical-range", v["critical-range"] as string),
    fixed: Object.keys(fixed).length ? fixed : undefined,
    tune: (v.tune as string | undefined)?.split(",").map((x) => x.trim()),
    ranges: Object.keys(ranges).length ? ranges : undefined,
  };
}

async function main() {
  const v = parseFlags(Deno.args, OPTIONS);
  if (v.help) {
    console.log(USAGE);
    return;
  }
  // A plugin (URL or path) is loaded sandboxed; its declared parameters are searched like any other.
  const registry = builtinRegistry();
  const name = required(v, "strategy");
  const plugin = isPluginSpecifier(name)
    ? await registerPlugin(registry, name).catch((e) => {
      throw e instanceof PluginError ? new CliError(e.message) : e;
    })
    : undefined;
  try {
    await runSearch(v, plugin ?? registry.get(name));
  } finally {
    await plugin?.close();
  }
}

async function runSearch(v: Record<string, unknown>, strategy: Strategy) {
  const target = positiveInt("--target", required(v, "target"))!;
  const textPath = required(v, "text");
  required(v, "model");
  const l0 = positiveInt("--l0", v.l0);
  if (l0 !== undefined) {
    if (v["original-context"] !== undefined && Number(v["original-context"]) !== l0) {
      throw new CliError("--l0 and --original-context disagree (they are the same setting)");
    }
    v["original-context"] = String(l0);
  }
  const kind = (v.fitness as string | undefined) ?? (strategy.name === "longrope2" ? "needle" : "ppl");
  if (kind !== "needle" && kind !== "ppl") {
    throw new CliError(`--fitness must be needle or ppl, got "${kind}"`);
  }
  const textRange = v["text-range"] === undefined
    ? [0.5, 1] as [number, number]
    : numberPair("--text-range", v["text-range"] as string);
  let budget: Budget | undefined;
  try {
    budget = v.budget === undefined ? undefined : parseBudget(v.budget as string);
  } catch (e) {
    throw new CliError(`--budget: ${(e as Error).message}`);
  }
  const evolution = evolutionFrom(v);
  const space = spaceFrom(v, strategy);
  const out = (v.out as string | undefined) ?? `search_${strategy.name}_${target}.json`;
  const journalPath = (v.journal as string | undefined) ?? `${out.replace(/\.json$/, "")}.journal.jsonl`;

  const model = await loadModelFromFlags(v);
  const corpus = await loadCorpus(textPath, model.tokenizer);
  const queue = v.queue === undefined ? undefined : await openQueueScorer(v.queue as string, model);
  let workers = integer("--workers", v.workers, 1);
  if (queue) workers ??= Math.max(2, 2 * await queue.workers());
  const result = await searchStrategy({
    strategy,
    model,
    corpus,
    targetLength: target,
    fitness: {
      kind,
      samples: integer("--samples", v.samples, 1) ?? (kind === "needle" ? 10 : 5),
      dataSeed: integer("--data-seed", v["data-seed"], 0) ?? 0,
      template: (v.template as string | undefined) ?? "magic-number",
      textRange,
    },
    evolution,
    space,
    budget,
    workers,
    scorer: queue?.score,
    journalPath,
    resume: v.resume === true,
    onProgress: v.quiet ? undefined : stderrSearchProgress(),
  }).finally(() => queue?.close());
  try {
    await Deno.writeTextFile(out, JSON.stringify(result, null, 2) + "\n");
  } catch (e) {
    throw new CliError(`--out ${out}: cannot write (${(e as Error).message})`);
  }

  const e = result.evaluations;
  console.log(
    `best ${result.fitness_kind} fitness ${result.fitness.toPrecision(6)} after ${e.total} evaluations ` +
      `(${e.fresh} run now, ${e.replayed} from the journal; stopped: ${result.stopped})`,
  );
  if (result.found_critical_index !== undefined) {
    console.log(
      `critical index found: k = ${result.found_critical_index} (theoretical d_tcd = ${result.theoretical_critical_dim}, ` +
        `official default k = ${result.default_critical_index}, searched range ${
          JSON.stringify(result.settings.space.critical_range)
        })`,
    );
  }
  console.log(`result: ${out}  (compare: ${strategy.name}@${out})  journal: ${journalPath}`);
  console.log("config.json:");
  console.log(
    JSON.stringify(
      { rope_scaling: result.hf.rope_scaling, max_position_embeddings: result.hf.max_position_embeddings },
      null,
      2,
    ),
  );
  for (const note of result.hf.notes) console.log(`note: ${note}`);
}

if (import.meta.main) runCommand(main);
