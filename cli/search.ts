/**
 * `deno task search`: evolutionary search of a strategy's factors or parameters on a model, with a
 * resumable journal; writes a result file `compare` accepts and prints the HF `rope_scaling` block.
 *
 *   deno task search --strategy longrope2 --model M --target N --text FILE [options]
 *
 * @module
 */
import { corpusSlice, loadCorpus } from "../eval/corpus.ts";
import { builtinRegistry } from "../strategies/registry.ts";
import type { Strategy } from "../strategies/types.ts";
import { entryStrategy } from "../entries/mod.ts";
import { commandPlugins } from "../entries/mod.ts";
import { parseParamArgs } from "../strategies/params.ts";
import { type Budget, parseBudget } from "../search/budget.ts";
import { DEFAULT_EVOLUTION, type EvolutionSettings } from "../search/evolution.ts";
import { stderrSearchProgress } from "../search/progress.ts";
import {
  DEFAULT_FINALISTS,
  searchStrategy,
  type SpaceSettings,
  splitTextRange,
  type StrategySearchOptions,
} from "../search/search_strategy.ts";
import { chooseTemplate } from "../search/template_choice.ts";
import type { SearchResultFile } from "../search/result.ts";
import { seedSpread, type SeedSpreadFile } from "../search/seed_spread.ts";
import { PAPER_START_TOKENS } from "../search/spaces/longrope_space.ts";
import { openQueueScorer, QUEUE_OPTIONS, QUEUE_USAGE, secretFromFlags } from "./queue_option.ts";
import {
  CliError,
  type Flags,
  loadModelFromFlags,
  MODEL_OPTIONS,
  MODEL_USAGE,
  numberPair,
  parseFlags,
  positiveInt,
  required,
  runCommand,
} from "./args.ts";
import { pathExists } from "../util/path_exists.ts";

const USAGE = `Usage: deno task search --strategy S --model M --target N --text FILE [options]

  --strategy S           longrope2 (LongRoPE2 factors + critical index), longrope (LongRoPE factors),
                         or any other strategy or plugin URL/path: its declared parameters are searched
  --target N             the context length to extend to
  --l0 N                 the model's trained context (overrides what its files say)
  --text FILE            text the fitness documents are cut from
  --fitness needle|ppl   needle-driven perplexity (default for longrope2) or perplexity (default otherwise)
  --template NAME        needle template: magic-number or story-pet; default: magic-number (the paper's
                         7-digit number) where the model passes the validity check at L0, else story-pet.
                         A template that fails the check is refused (it would rank noise)
  --allow-invalid-needle search on a needle template that fails the validity check anyway
  --samples N            needle documents per depth, or perplexity windows (default 32)
  --depths LIST          needle depths, comma list of fractions (default 0: the needle at the start)
  --text-range A:B       fraction of the text the documents come from (default 0.5:1; evaluate on 0:0.5)
  --finalists K          re-score the K best candidates on fresh documents; the best re-scored one is
                         the result (default 5)
  --finalist-share X     share of the text range (its end) kept for the finalists' documents (default 0.25)
  --data-seed N          seed of document sampling (default 0)
  --seed S               search seed (default 0): the same seed and settings give the same result
  --seeds N              N independent searches (seeds S..S+N−1): one result per seed
                         (OUT_seed<S>.json) and the spread of what they found (OUT_seeds.json)
  --population P         initial population (default 64); parents P/2, mutations and crossovers P/4
  --generations G        iterations after the initial population (default 40)
  --parents K            top-K parents (default 32)
  --mutations N          mutations per generation (default 16)
  --crossovers N         crossovers per generation (default 16)
  --budget B             stop after B evaluations (500) or a time (30m, 2h), whichever comes first
  --workers N            evaluations in flight at once (default 1; with --queue 2 per live worker)
  --queue URL            send evaluations to queue workers (deno task worker) on this Redis:
                         redis://[:password@]host:port[/db]; the result is the same as in-process
${QUEUE_USAGE}
  --out FILE             result file (default search_<strategy>_<target>.json)
  --journal FILE         evaluation journal (default FILE.journal.jsonl beside --out)
  --resume               continue the search recorded in the journal (nothing is evaluated twice)
  --step X               grid step (default 0.01)
  --min-factor X         longrope2: lower bound of the searched factors (default s)
  --max-factor X         longrope: upper bound (default 1 + s); longrope2: upper bound (default 2s)
  --start-tokens LIST    longrope: search n̂ over a comma list, or "paper" for ${PAPER_START_TOKENS.join(",")}
  --critical-range A:B   longrope2: candidate critical indices, 0-based (default [d10_tcd, d_tcd + 3]:
                         the paper's [⌈x₁₀⌉, ⌈x⌉] and 3 pairs above the critical pair ⌈x⌉)
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
  "allow-invalid-needle": { type: "boolean" },
  samples: { type: "string" },
  depths: { type: "string" },
  "text-range": { type: "string" },
  finalists: { type: "string" },
  "finalist-share": { type: "string" },
  seeds: { type: "string" },
  "data-seed": { type: "string" },
  seed: { type: "string" },
  population: { type: "string" },
  generations: { type: "string" },
  parents: { type: "string" },
  mutations: { type: "string" },
  crossovers: { type: "string" },
  budget: { type: "string" },
  workers: { type: "string" },
  ...QUEUE_OPTIONS,
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

/** The parsed flags of `search`, each typed by its declaration. */
type SearchFlags = Flags<typeof OPTIONS>;

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

/** Loop settings: explicit flags win; --population alone scales the rest in the official ratios. */
function evolutionFrom(v: SearchFlags): EvolutionSettings {
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

function spaceFrom(v: SearchFlags, strategy: Strategy): SpaceSettings {
  const startRaw = v["start-tokens"];
  const startTokens = startRaw === undefined
    ? undefined
    : startRaw === "paper"
    ? [...PAPER_START_TOKENS]
    : startRaw.split(",").map((x) => integer("--start-tokens", x.trim(), 0)!);
  const ranges = Object.fromEntries((v.range ?? []).map((r) => {
    const eq = r.indexOf("=");
    if (eq <= 0) throw new CliError(`--range must look like name=LO:HI, got "${r}"`);
    return [r.slice(0, eq), numberPair("--range", r.slice(eq + 1))];
  }));
  const fixed = parseParamArgs(strategy.name, strategy.params, v.param ?? []);
  return {
    step: number("--step", v.step),
    minFactor: number("--min-factor", v["min-factor"]),
    maxFactor: number("--max-factor", v["max-factor"]),
    startTokens,
    criticalRange: v["critical-range"] === undefined
      ? undefined
      : numberPair("--critical-range", v["critical-range"]),
    fixed: Object.keys(fixed).length ? fixed : undefined,
    tune: v.tune?.split(",").map((x) => x.trim()),
    ranges: Object.keys(ranges).length ? ranges : undefined,
  };
}

async function main() {
  const v = parseFlags(Deno.args, OPTIONS);
  if (v.help) {
    console.log(USAGE);
    return;
  }
  // A plugin (URL or path) is loaded sandboxed; its declared parameters are searched like any other,
  // and those after its "#" are held fixed, as --param holds them.
  const registry = builtinRegistry();
  const name = required(v, "strategy");
  const plugins = commandPlugins(registry);
  try {
    // The entry's own k=v pieces (after ":" or a plugin's "#") are held fixed, as --param holds them.
    const { strategy, parts } = await entryStrategy(name, { registry, plugins: plugins.resolve });
    if (parts.resultFile !== undefined) {
      throw new CliError(`--strategy ${name}: a search starts from the declared space, not a result file`);
    }
    v.param = [...parts.paramArgs, ...(v.param ?? [])];
    await runSearch(v, strategy);
  } finally {
    await plugins.close();
  }
}

async function runSearch(v: SearchFlags, strategy: Strategy) {
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
  const kind = v.fitness ?? (strategy.name === "longrope2" ? "needle" : "ppl");
  if (kind !== "needle" && kind !== "ppl") {
    throw new CliError(`--fitness must be needle or ppl, got "${kind}"`);
  }
  const textRange: [number, number] = v["text-range"] === undefined
    ? [0.5, 1]
    : numberPair("--text-range", v["text-range"]);
  let budget: Budget | undefined;
  try {
    budget = v.budget === undefined ? undefined : parseBudget(v.budget);
  } catch (e) {
    throw new CliError(`--budget: ${(e as Error).message}`);
  }
  const evolution = evolutionFrom(v);
  const space = spaceFrom(v, strategy);
  const out = v.out ?? `search_${strategy.name}_${target}.json`;
  const seeds = integer("--seeds", v.seeds, 1) ?? 1;
  if (seeds > 1 && v.journal !== undefined) {
    throw new CliError(
      "--journal names one journal; with --seeds each seed's journal sits beside its result",
    );
  }
  const depths = v.depths === undefined ? [0] : v.depths.split(",").map((x) => {
    const d = number("--depths", x.trim())!;
    if (!(d >= 0 && d < 1)) throw new CliError(`--depths: each depth must lie in [0, 1), got ${x.trim()}`);
    return d;
  });
  if (kind === "ppl" && v.depths !== undefined) throw new CliError("--depths applies to --fitness needle");
  const share = number("--finalist-share", v["finalist-share"]);
  if (share !== undefined && !(share > 0 && share < 1)) {
    throw new CliError(`--finalist-share must lie strictly between 0 and 1, got ${share}`);
  }

  const model = await loadModelFromFlags(v);
  const corpus = await loadCorpus(textPath, model.tokenizer);
  const samples = integer("--samples", v.samples, 1) ?? 32;
  const dataSeed = integer("--data-seed", v["data-seed"], 0) ?? 0;
  if (kind !== "needle" && (v.template !== undefined || v["allow-invalid-needle"])) {
    throw new CliError("--template and --allow-invalid-needle apply to --fitness needle");
  }
  let template = v.template ?? "magic-number";
  if (kind === "needle") {
    const part = corpusSlice(
      corpus,
      splitTextRange(textRange, share ?? DEFAULT_FINALISTS.share).search,
      model.tokenizer,
    );
    // Refuses (InvalidNeedleError) a template the model cannot use within L0, unless allowed.
    const choice = await chooseTemplate(model, part, {
      requested: v.template,
      samples,
      seed: dataSeed,
      allowInvalid: v["allow-invalid-needle"] === true,
    });
    template = choice.template;
    console.log(`needle template: ${choice.reason}`);
  }
  const queue = v.queue === undefined ? undefined : await openQueueScorer(v.queue, model, secretFromFlags(v));
  let workers = integer("--workers", v.workers, 1);
  if (queue) workers ??= Math.max(2, 2 * await queue.workers());
  const base: Omit<StrategySearchOptions, "journalPath"> = {
    strategy,
    model,
    corpus,
    targetLength: target,
    fitness: {
      kind,
      samples,
      depths: kind === "needle" ? depths : [],
      dataSeed,
      template,
      textRange,
    },
    finalists: { count: integer("--finalists", v.finalists, 1), share },
    evolution,
    space,
    budget,
    workers,
    scorer: queue?.score,
    resume: v.resume === true,
    onProgress: v.quiet ? undefined : stderrSearchProgress(),
  };
  const stem = out.replace(/\.json$/, "");
  const runs: { seed: number; file: string; result: SearchResultFile }[] = [];
  try {
    for (let i = 0; i < seeds; i++) {
      const seed = evolution.seed + i;
      const file = seeds > 1 ? `${stem}_seed${seed}.json` : out;
      const journalPath = seeds > 1
        ? `${stem}_seed${seed}.journal.jsonl`
        : v.journal ?? `${stem}.journal.jsonl`;
      // A --seeds run killed part-way resumes the seeds it reached; the ones it never started start now.
      const resume = base.resume === true && (seeds === 1 || await pathExists(journalPath));
      const result = await searchStrategy({
        ...base,
        evolution: { ...evolution, seed },
        journalPath,
        resume,
      });
      await writeJson(file, result);
      report(result, file, journalPath, seeds > 1 ? seed : undefined);
      runs.push({ seed, file, result });
    }
  } finally {
    await queue?.close();
  }
  if (seeds > 1) {
    const spread = seedSpread(runs);
    const file = `${stem}_seeds.json`;
    await writeJson(file, spread);
    reportSpread(spread, file);
  } else {
    printConfig(runs[0].result);
  }
}

async function writeJson(path: string, data: unknown): Promise<void> {
  try {
    await Deno.writeTextFile(path, JSON.stringify(data, null, 2) + "\n");
  } catch (e) {
    throw new CliError(`--out ${path}: cannot write (${(e as Error).message})`);
  }
}

const fmt = (x: number | undefined) => x === undefined || !Number.isFinite(x) ? "–" : x.toPrecision(4);

/** What one search found: its finalists with both scores, the result, and where it was written. */
function report(result: SearchResultFile, out: string, journalPath: string, seed?: number) {
  const e = result.evaluations;
  const tag = seed === undefined ? "" : `seed ${seed}: `;
  console.log(
    `${tag}${e.total} evaluations (${e.fresh} run now, ${e.replayed} from the journal; stopped: ${result.stopped})`,
  );
  console.log(`${tag}finalists (${result.fitness_kind} fitness; ± standard error of the mean NLL):`);
  for (const f of result.finalists ?? []) {
    const k = f.params.critical_index === undefined ? "" : `  k = ${f.params.critical_index}`;
    console.log(
      `  #${f.search_rank}  search ${fmt(f.search.fitness)} (nll ${fmt(f.search.nll)} ± ${
        fmt(f.search.stderr)
      })` +
        `  re-scored ${fmt(f.rescored.fitness)} (nll ${fmt(f.rescored.nll)} ± ${fmt(f.rescored.stderr)})${k}`,
    );
  }
  console.log(
    `${tag}result: the best re-scored finalist, fitness ${fmt(result.fitness)} on fresh documents ` +
      `(${fmt(result.search_fitness)} during the search)`,
  );
  const verdict = result.critical_index_verdict;
  if (verdict) {
    console.log(
      `${tag}critical index k (0-based) by k, each k's best genome re-scored on the same fresh documents; ` +
        `difference of answer NLL against the critical pair ⌈x⌉ = ${verdict.theoretical_k} (paired t, 95%, Holm):`,
    );
    for (const row of verdict.rows) {
      const d = row.vs_theory;
      const vs = d
        ? `${d.difference >= 0 ? "+" : ""}${d.difference.toFixed(3)} [${d.ci95[0].toFixed(3)}, ${
          d.ci95[1].toFixed(3)
        }] Holm p ${d.p_holm.toPrecision(2)}`
        : "(reference)";
      const tags = [
        row.k === verdict.theoretical_k ? "⌈x⌉" : "",
        row.k === verdict.official_default_k ? "official ⌈x⌉−1" : "",
        row.k === verdict.selected_k ? "search's best" : "",
      ].filter((t) => t).join(", ");
      console.log(
        `  k = ${String(row.k).padStart(2)}  re-scored ${fmt(row.rescored_fitness)} (nll ${
          fmt(row.rescored_nll)
        } ± ${fmt(row.stderr)})  vs ⌈x⌉: ${vs}${tags ? `  [${tags}]` : ""}`,
      );
    }
    console.log(`${tag}${verdict.statement}`);
  }
  if (result.budget_vs_paper) console.log(`${tag}budget: ${result.budget_vs_paper.summary}`);
  console.log(`${tag}result: ${out}  (compare: ${result.strategy}@${out})  journal: ${journalPath}`);
}

function reportSpread(s: SeedSpreadFile, file: string) {
  console.log(`spread over ${s.runs.length} seeds: ${file}`);
  if (s.critical_index) {
    const counts = Object.entries(s.critical_index.counts).map(([k, n]) => `k = ${k}: ${n}`).join(", ");
    console.log(`  critical index: ${counts} (official default ${s.critical_index.default_critical_index})`);
  }
  for (const [name, sp] of Object.entries(s.params)) {
    const list = Array.isArray(sp) ? sp : [sp];
    if (list.every((x) => x.min === x.max)) continue;
    console.log(
      `  ${name}: ` +
        list.map((x) => `${fmt(x.mean)} ± ${fmt(x.sd)} [${fmt(x.min)}, ${fmt(x.max)}]`).join("; "),
    );
  }
  console.log(`  best re-scored: seed ${s.best.seed} (${s.best.file})`);
}

function printConfig(result: SearchResultFile) {
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
