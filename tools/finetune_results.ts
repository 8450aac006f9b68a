/**
 * The fine-tuning results of issue 8, with the seeds and paired statistics of issue 15: LongRoPE2's
 * table in miniature. Each strategy training-free, then after an equal fine-tuning budget without and
 * with mixed context windows; scored at the target length by needle-driven perplexity and the model's
 * retrieval metric, and by perplexity at the target and within L0 (short-context retention against the
 * base model). Repeated for several seeds. The setup (the model) decides the retrieval metrics:
 * facts837K's needle is the `story-pet` template with the pet-name choice (it never learned its magic
 * numbers: 0% at 512 and 1024, see its README); recall-needle's is the paper's 7-digit magic number with
 * the numeric passkey.
 *
 *   deno run -A tools/finetune_results.ts default       # ropekit's default model, 256 → 2048 (8×)
 *   deno run -A tools/finetune_results.ts recall        # models/recall-needle, 256 → 2048 (8×)
 *   deno run -A tools/finetune_results.ts stories260K   # ../shared's stories260K, 512 → 2048 (4×)
 *     [--strategies yarn,longrope2] [--seeds 3] [--steps 30] [--runs-only]
 *
 * Seed s (1…N) is both the fine-tuning data seed (`finetune --seed s`: which documents and windows it
 * trains on) and the evaluation seed (`compare --seed s`: which documents it is scored on). Within a
 * seed every model is scored on the same documents, so any two of them pair document by document;
 * across seeds nothing is shared, so the seeds are independent repeats.
 *
 * LongRoPE2 uses the searched result of `docs/results/run.sh` (its best re-scored seed), searched on
 * text disjoint from every evaluation here. Every step is a ropekit command whose output lands in
 * docs/results/finetune/<setup>/seed<s>/; a step whose output exists is skipped, so a stopped run
 * continues. Fine-tuned weights stay in .cache/finetune/.
 *
 * Short-context perplexity is measured with the RoPE each regime gives short inputs: training-free and
 * without mixing, the strategy's own table at L0 (YaRN rescales every length); with mixed windows the
 * original RoPE, which is what the short windows were trained with and what LongRoPE2 applies within L0.
 *
 * Then, per seed, the evaluations are merged into comparison reports (`compare`'s report shape, drawn by
 * its renderers) whose paired comparisons come from `compare/statistics.ts`: per regime, every strategy
 * against YaRN; per strategy, every regime against fine-tuning without mixing, and within L0 against
 * the base model. `summary.json` and `table.md` collect every comparison across seeds.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CompareReport, Comparison, MetricInfo, StrategyReport, Verdict } from "../compare/compare.ts";
import { pairedComparisons } from "../compare/statistics.ts";
import { charts, textReport } from "../compare/report.ts";
import { formatDifference, formatValue } from "../eval/metrics/metric.ts";
import { lineChart, type Series } from "../util/svg_chart.ts";
import { factDocument } from "../train/fact_corpus.ts";
import { recallDocument } from "../train/recall_corpus.ts";
import { pathExists } from "../util/path_exists.ts";
import { oneSampleT } from "../util/stats.ts";
import { holmAdjust } from "../util/holm.ts";

interface Setup {
  model: string;
  /** Needle haystack / long-perplexity text (the compare text). */
  text: string;
  textRange?: string;
  /** In-distribution text for short-context perplexity. */
  shortText: string;
  shortRange?: string;
  l0: number;
  target: number;
  /** Fine-tuning data flags (default: the generated facts corpus). */
  data: string[];
  /** The fine-tuning data's corpus seed for seed s (default s), when s would repeat pre-training's documents. */
  dataSeed?: (seed: number) => number;
  /** The needle template every model is scored with, and the retrieval metric beside it at the target. */
  template: "story-pet" | "magic-number";
  retrieval: "pet-choice" | "passkey";
  batch: number;
  /** The LongRoPE2 search result (run.sh's best re-scored seed). */
  searched: string;
  /** Where the searched text and the evaluation text come from, for table.md. */
  disjoint: string;
}

const root = new URL("../", import.meta.url).pathname;
// Paths are relative to the repository root (the commands run there), so reports name them portably.
const SHARED = "../shared";

/**
 * Writes 60 held-out documents of a generated corpus for short-context perplexity and returns the file.
 * Long documents, so an L0 window almost always lies inside one: the models were trained with per-document
 * masks and never attended across a document boundary, so windows spanning short documents would measure
 * that, not their short-context quality.
 */
async function heldOutText(setup: string, doc: (i: number) => string): Promise<string> {
  const out = join(".cache/finetune", setup);
  await Deno.mkdir(out, { recursive: true });
  const file = join(out, "short.txt");
  await Deno.writeTextFile(file, Array.from({ length: 60 }, (_, i) => doc(i)).join("\n\n"));
  return file;
}

const SETUPS: Record<string, () => Promise<Setup>> = {
  default: async () => {
    // Held-out fact documents (a seed training never used, past the drill curriculum), 1,200–2,000 tokens.
    const shortText = await heldOutText(
      "default",
      (i) => factDocument(9001, 100_000 + i, { filler: [100, 170] }),
    );
    return {
      model: "models/facts837K/model.bin",
      text: "models/facts837K/eval.txt",
      shortText,
      l0: 256,
      target: 2048,
      data: [],
      template: "story-pet",
      retrieval: "pet-choice",
      batch: 4,
      searched: "docs/results/search_facts837K/longrope2_2048.json",
      disjoint: "search on models/facts837K/search.txt, evaluation on models/facts837K/eval.txt " +
        "(another generator seed, no paragraph in common); fine-tuning on the generated facts corpus from " +
        "document 100,000 on (held out from pre-training)",
    };
  },
  recall: async () => {
    // Held-out recall documents (a corpus seed training never used), about 1,000–1,600 tokens.
    const shortText = await heldOutText(
      "recall",
      (i) => recallDocument(9001, 100_000 + i, { filler: [80, 130] }),
    );
    return {
      model: "models/recall-needle/model.bin",
      text: "models/recall-needle/eval.txt",
      shortText,
      l0: 256,
      target: 2048,
      // Documents worded as the model's last training stage read them (models/recall-needle/README.md).
      data: ["--corpus", "recall", "--paragraphs", "--gap-words"],
      // Pre-training read seed 1's documents 0 to about 130,000, past fine-tuning's first document (100,000).
      dataSeed: (s) => 1000 + s,
      template: "magic-number",
      retrieval: "passkey",
      batch: 4,
      searched: "docs/results/search_recall/longrope2_2048.json",
      disjoint: "search on models/recall-needle/search.txt, evaluation on models/recall-needle/eval.txt " +
        "(another generator seed, no paragraph in common); fine-tuning on the generated recall corpus of seeds " +
        "1001–1005, in paragraphs with gap-word questions as stage 2 read it (pre-training read seed 1); " +
        "short-context text from corpus seed 9001",
    };
  },
  stories260K: async () => {
    const out = ".cache/finetune/stories260K";
    await Deno.mkdir(out, { recursive: true });
    const text = join(SHARED, "data/tinystories_valid_head.txt");
    // Fine-tune on the second half of the text (where the search also drew); every evaluation uses the first.
    const all = await Deno.readTextFile(text);
    const trainText = join(out, "train_half.txt");
    await Deno.writeTextFile(trainText, all.slice(Math.floor(all.length / 2)));
    return {
      model: join(SHARED, "models/stories260K/stories260K.bin"),
      text,
      textRange: "0:0.5",
      shortText: text,
      shortRange: "0:0.5",
      l0: 512,
      target: 2048,
      data: ["--data", trainText],
      template: "story-pet",
      retrieval: "pet-choice",
      batch: 2,
      searched: "docs/results/search/longrope2_2048.json",
      disjoint: "search and fine-tuning on the second half of the TinyStories text (0.5:1), evaluation on " +
        "the first half (0:0.5)",
    };
  },
};

/** The strategies this tool knows: the entry to fine-tune with, and the one to evaluate a --no-mixed run with. */
const STRATEGIES: Record<string, (searched: string) => { label: string; entry: string; plain: string }> = {
  pi: () => ({ label: "PI", entry: "pi", plain: "pi" }),
  ntk: () => ({ label: "NTK", entry: "ntk", plain: "ntk" }),
  yarn: () => ({ label: "YaRN", entry: "yarn", plain: "yarn" }),
  llama3: () => ({ label: "Llama 3", entry: "llama3", plain: "llama3" }),
  // LongRoPE with its built-in (unsearched) factors: the paper's LongRoPE row is searched, ropekit's budget
  // here searches only LongRoPE2.
  longrope: () => ({ label: "LongRoPE (unsearched)", entry: "longrope", plain: "longrope" }),
  longrope2: (searched) => ({
    label: "LongRoPE2 (searched)",
    entry: `longrope2@${searched}`,
    // Without mixing the short windows were trained under the rescaled RoPE too, so evaluate them so.
    plain: `longrope2@${searched}:original_within_l0=false`,
  }),
};
type Regime = "free" | "plain" | "mixed";
const REGIMES: { regime: Regime; label: string }[] = [
  { regime: "free", label: "training-free" },
  { regime: "plain", label: "fine-tuned, no mixing" },
  { regime: "mixed", label: "fine-tuned, mixed windows" },
];
const regimeLabel = (r: Regime) => REGIMES.find((x) => x.regime === r)!.label;
const slug = (label: string) => label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
const BASE = "base model (original RoPE)";
/** The strategy every other is compared against within a regime: the paper's main baseline. */
const REFERENCE = "YaRN";

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    strategies: { type: "string", default: "yarn,longrope2" },
    seeds: { type: "string", default: "3" },
    steps: { type: "string", default: "30" },
    lr: { type: "string", default: "5e-4" },
    // Fine-tune and evaluate only (e.g. a second process for another strategy); no reports, no summary.
    "runs-only": { type: "boolean", default: false },
  },
});
const name = positionals[0];
const seeds = Number(flags.seeds), steps = Number(flags.steps);
const chosen = flags.strategies.split(",");
if (
  !SETUPS[name] || !(seeds >= 1 && Number.isInteger(seeds)) || !(steps >= 1 && Number.isInteger(steps)) ||
  chosen.some((s) => !STRATEGIES[s]) || !(flags["runs-only"] || chosen.includes("yarn"))
) {
  console.error(
    `usage: finetune_results.ts ${Object.keys(SETUPS).join("|")} [--strategies LIST of ${
      Object.keys(STRATEGIES).join(",")
    }; must include yarn] [--seeds N] [--steps N] [--lr X] [--runs-only]`,
  );
  Deno.exit(1);
}
Deno.chdir(root);
const setup = await SETUPS[name]();
if (chosen.includes("longrope2") && !(await pathExists(setup.searched))) {
  console.error(`error: ${setup.searched} is missing: run docs/results/run.sh's search step first`);
  Deno.exit(1);
}
const strategies = chosen.map((s) => STRATEGIES[s](setup.searched));
const OUT = join("docs/results/finetune", name);
const WEIGHTS = join(".cache/finetune", name);
const T = `${setup.target}`, L = `${setup.l0}`;

/** Runs `deno run -A cli/<cli>.ts args`; stdout returned, stderr passed through. */
async function ropekit(cli: string, args: string[]): Promise<string> {
  console.error(`$ deno task ${cli} ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `cli/${cli}.ts`, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${cli} failed (exit ${out.code})`);
  return new TextDecoder().decode(out.stdout);
}

/** Runs a step unless its output file exists. */
async function step(output: string, run: () => Promise<void>): Promise<void> {
  if (await pathExists(output)) return console.error(`(have ${output})`);
  await Deno.mkdir(join(output, ".."), { recursive: true });
  await run();
}

/** A compare run written to `file` as JSON. */
async function evaluate(file: string, args: string[]): Promise<void> {
  await step(file, async () => await Deno.writeTextFile(file, await ropekit("compare", [...args, "--json"])));
}

const textFlags = ["--text", setup.text, ...(setup.textRange ? ["--text-range", setup.textRange] : [])];
const shortFlags = [
  ...["--text", setup.shortText, ...(setup.shortRange ? ["--text-range", setup.shortRange] : [])],
  ...["--lengths", L, "--metrics", "ppl", "--samples", "16"],
];
const longFlags = [
  ...textFlags,
  ...["--lengths", T, "--target", T, "--samples", "16", "--metrics", `ppl,needle,${setup.retrieval}`],
  // One template for every model: the fine-tuned models' own validity checks could choose differently.
  ...["--template", setup.template],
];

// 1. Fine-tunes (equal budgets) and evaluations, seed by seed, strategy by strategy.
for (let seed = 1; seed <= seeds; seed++) {
  const dir = join(OUT, `seed${seed}`);
  const common = ["--target", T, "--seed", `${seed}`];
  await evaluate(join(dir, "eval", "base_short.json"), [
    ...["--model", setup.model, "--strategies", "default", ...shortFlags, ...common],
  ]);
  for (const s of strategies) {
    for (const { regime } of REGIMES) {
      const id = `${slug(s.label)}_${regime}`;
      let model = setup.model;
      if (regime !== "free") {
        model = join(WEIGHTS, `seed${seed}`, id, "model.bin");
        await step(join(dir, "loss", `${id}.svg`), async () => {
          await ropekit("finetune", [
            ...["--model", setup.model, "--strategy", s.entry, "--target", T, "--out", model],
            ...["--steps", `${steps}`, "--batch", `${setup.batch}`, "--lr", flags.lr],
            ...["--seed", `${setup.dataSeed?.(seed) ?? seed}`],
            ...setup.data,
            ...(regime === "plain" ? ["--no-mixed"] : []),
          ]);
          await Deno.copyFile(join(model, "..", "loss.svg"), join(dir, "loss", `${id}.svg`));
        });
      }
      const entry = regime === "plain" ? s.plain : s.entry;
      await evaluate(join(dir, "eval", `${id}.json`), [
        ...["--model", model, "--strategies", entry, ...longFlags, "--seed", `${seed}`],
      ]);
      await evaluate(join(dir, "eval", `${id}_short.json`), [
        ...[
          "--model",
          model,
          "--strategies",
          regime === "mixed" ? "default" : entry,
          ...shortFlags,
          ...common,
        ],
      ]);
    }
  }
}

// 2. Per seed, the evaluations merged into comparison reports with paired statistics.
if (flags["runs-only"]) Deno.exit(0);
const readReport = async (file: string) => JSON.parse(await Deno.readTextFile(file)) as CompareReport;

/** One evaluated model: its long report's row with the short perplexity merged in as the ppl@L0 column. */
async function row(
  dir: string,
  id: string,
  label: string,
): Promise<{ report: CompareReport; row: StrategyReport }> {
  const long = await readReport(join(dir, "eval", `${id}.json`));
  const short = await readReport(join(dir, "eval", `${id}_short.json`));
  const s = long.strategies[0];
  const ppl = {
    ...s.metrics.ppl,
    cells: { ...s.metrics.ppl.cells, [L]: short.strategies[0].metrics.ppl.cells[L] },
  };
  return { report: long, row: { ...s, label, metrics: { ...s.metrics, ppl } } };
}

/** A report of these rows, on the documents of `like` (same settings), compared against `reference`. */
function merged(like: CompareReport, rows: StrategyReport[], reference: string, seed: number): CompareReport {
  const metrics: MetricInfo[] = like.metrics.map((m) =>
    m.id === "ppl" ? { ...m, columns: [{ key: L, length: setup.l0, header: `ppl@${L}` }, ...m.columns] } : m
  );
  return {
    ...like,
    created: new Date().toISOString(),
    metrics,
    strategies: rows,
    ...pairedComparisons(metrics, rows, { seed, reference }),
    seconds: rows.reduce((a, r) => a + r.seconds, 0),
  };
}

/** Documents must be the same for a paired comparison: same text, lengths, samples, seed, template. */
function checkPaired(reports: CompareReport[]): void {
  const key = (r: CompareReport) =>
    JSON.stringify([r.corpus, r.settings.lengths, r.settings.samples, r.settings.seed, r.settings.template]);
  if (new Set(reports.map(key)).size !== 1) {
    throw new Error("reports to pair were not scored on the same documents");
  }
}

interface Summary {
  view: string;
  metric: string;
  length: number;
  a: string;
  b: string;
  perSeed: (Comparison & { seed: number })[];
}
const summary = new Map<string, Summary>();
const verdictsBySeed: (Verdict & { view: string; seed: number })[] = [];
const cellsBySeed: Record<string, Record<string, Record<string, number>>>[] = [];
let infos: MetricInfo[] = [];

for (let seed = 1; seed <= seeds; seed++) {
  const dir = join(OUT, `seed${seed}`);
  const base = (await readReport(join(dir, "eval", "base_short.json"))).strategies[0];
  const all = new Map<string, { report: CompareReport; row: StrategyReport }>();
  for (const s of strategies) {
    for (const { regime, label } of REGIMES) {
      all.set(`${s.label}|${regime}`, await row(dir, `${slug(s.label)}_${regime}`, `${s.label}, ${label}`));
    }
  }
  checkPaired([...all.values()].map((v) => v.report));
  const like = all.values().next().value!.report;
  const views: { view: string; report: CompareReport }[] = [];
  // Within a regime: every strategy against YaRN.
  for (const { regime, label } of REGIMES) {
    const rows = strategies.map((s) => ({ ...all.get(`${s.label}|${regime}`)!.row, label: s.label }));
    views.push({ view: `regime: ${label}`, report: merged(like, rows, REFERENCE, seed) });
  }
  // Within a strategy: every regime against fine-tuning without mixing.
  for (const s of strategies) {
    const rows = REGIMES.map(({ regime, label }) => ({ ...all.get(`${s.label}|${regime}`)!.row, label }));
    const baseRow: StrategyReport = { ...base, label: BASE, metrics: { ppl: base.metrics.ppl } };
    views.push({
      view: `strategy: ${s.label}`,
      report: merged(like, rows, regimeLabel("plain"), seed),
    });
    // Short-context quality: every regime against the base model within L0 (its only column).
    views.push({ view: `retention: ${s.label}`, report: merged(like, [...rows, baseRow], BASE, seed) });
  }
  for (const { view, report } of views) {
    // report.json, report.txt and the differences charts; no report.html (it would repeat the JSON for each view).
    const out = join(dir, slug(view));
    await Deno.mkdir(out, { recursive: true });
    await Deno.writeTextFile(join(out, "report.json"), JSON.stringify(report, null, 1) + "\n");
    await Deno.writeTextFile(join(out, "report.txt"), textReport(report) + "\n");
    for (const [file, svg] of Object.entries(charts(report))) {
      if (file.startsWith("differences_")) await Deno.writeTextFile(join(out, file), svg);
    }
    for (const c of report.comparisons) {
      if (c.b !== report.statistics.reference) continue; // runner-up pairs of the verdicts: in the report only
      const k = `${view}|${c.metric}|${c.length}|${c.a}|${c.b}`;
      if (!summary.has(k)) {
        summary.set(k, { view, metric: c.metric, length: c.length, a: c.a, b: c.b, perSeed: [] });
      }
      summary.get(k)!.perSeed.push({ ...c, seed });
    }
    // Who leads each column within a regime: a best only when significantly better than the runner-up.
    if (view.startsWith("regime: ")) {
      for (const v of report.verdicts) verdictsBySeed.push({ view, seed, ...v });
    }
  }
  infos = views[0].report.metrics;
  // Values per strategy and regime for the overview table.
  const cells: Record<string, Record<string, Record<string, number>>> = {};
  for (const [key, { row }] of all) {
    cells[key] = Object.fromEntries(
      Object.entries(row.metrics).map((
        [m, r],
      ) => [m, Object.fromEntries(Object.entries(r.cells).map(([k, c]) => [k, c.value]))]),
    );
  }
  cells[BASE] = { ppl: { [L]: base.metrics.ppl.cells[L].value } };
  cellsBySeed.push(cells);
}

// 3. The summary across seeds and table.md.
const info = (id: string) => infos.find((m) => m.id === id)!;
const fmtD = (c: { metric: string }, x: number) => formatDifference(info(c.metric), x);
// A claim across seeds is tested at the seed level: each seed's mean paired difference is one value, and a
// one-sample t interval over them holds the training (and document) noise between seeds; Holm adjusts the
// seed-level p-values over every such comparison of one metric. Per-seed intervals hold document noise only.
const entries = [...summary.values()].map((s) => {
  const d = s.perSeed.map((c) => c.difference);
  const t = oneSampleT(d);
  return {
    ...s,
    meanDifference: t.mean,
    seedLevel: {
      test: "one-sample t over seed means",
      seeds: t.n,
      ci95: t.ci95,
      p: t.p,
      pAdjusted: NaN,
      significant: false,
    },
  };
});
for (const metric of new Set(entries.map((e) => e.metric))) {
  const family = entries.filter((e) => e.metric === metric);
  holmAdjust(family.map((e) => e.seedLevel.p)).forEach((p, i) => {
    family[i].seedLevel.pAdjusted = p;
    family[i].seedLevel.significant = p < 0.05;
  });
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const overview: string[] = [];
const columns: [string, string, string][] = [
  ["needle", T, `needle PPL @${T}`],
  [setup.retrieval, T, `${setup.retrieval} @${T}`],
  ["ppl", T, `PPL @${T}`],
  ["ppl", L, `PPL @${L}`],
];
for (const s of strategies) {
  for (const { regime, label } of REGIMES) {
    const cells = columns.map(([m, k]) => {
      const v = cellsBySeed.map((c) => c[`${s.label}|${regime}`][m][k]);
      const f = (x: number) => formatValue(info(m), x);
      return `${f(mean(v))} (${v.map(f).join(", ")})`;
    });
    // Short-context retention as the paper states it: the base model's perplexity within L0 over this one's.
    const retention = cellsBySeed.map((c) => 100 * c[BASE].ppl[L] / c[`${s.label}|${regime}`].ppl[L]);
    cells.push(`${mean(retention).toFixed(1)}% (${retention.map((x) => `${x.toFixed(1)}%`).join(", ")})`);
    overview.push(`| ${s.label} | ${label} | ${cells.join(" | ")} |`);
  }
}
const basePpl = cellsBySeed.map((c) => c[BASE].ppl[L]);
const comparisonRows = entries.map((e) => {
  const perSeed = e.perSeed.map((c) =>
    `${fmtD(e, c.difference)} [${fmtD(e, c.ci95[0])}, ${fmtD(e, c.ci95[1])}]${c.significant ? "*" : ""}`
  );
  const s = e.seedLevel;
  return `| ${e.view} | ${e.metric}@${e.length} | ${e.a} − ${e.b} | ${perSeed.join("; ")} | ${
    fmtD(e, e.meanDifference)
  } [${fmtD(e, s.ci95[0])}, ${fmtD(e, s.ci95[1])}] | ${s.p.toPrecision(2)} / ${s.pAdjusted.toPrecision(2)} ${
    s.significant ? "**significant**" : "not significant"
  } |`;
});
const leaderRows = [...new Set(verdictsBySeed.map((v) => `${v.view}|${v.metric}|${v.length}`))].map((key) => {
  const list = verdictsBySeed.filter((v) => `${v.view}|${v.metric}|${v.length}` === key);
  const cells = list.map((v) =>
    v.best ? `best: ${v.best}` : `not distinguishable: ${(v.notDistinguishable ?? v.tied ?? []).join(", ")}`
  );
  return `| ${list[0].view.replace(/^regime: /, "")} | ${list[0].metric}@${list[0].length} | ${
    cells.join(" | ")
  } |`;
});
const table = [
  `# ${name}: extended ${setup.l0} → ${setup.target} (${setup.target / setup.l0}×), ${seeds} seeds`,
  "",
  `Reproduce: \`deno run -A tools/finetune_results.ts ${name} --strategies ${flags.strategies} --seeds ${seeds} ` +
  `--steps ${steps}\` (steps whose output exists are skipped).`,
  `Fine-tuning budget per run: ${steps} steps of ${setup.batch}×${setup.l0} short + 1×${setup.target} long ` +
  `tokens, lr ${flags.lr}. Seed s = fine-tuning data seed and evaluation seed. Data: ${setup.disjoint}. ` +
  `16 documents / windows per cell; needle template ${setup.template}. Base model short-context perplexity ` +
  `(original RoPE, ${setup.l0} tokens): ${mean(basePpl).toFixed(3)} (${
    basePpl.map((x) => x.toFixed(3)).join(", ")
  }).`,
  "",
  `## Values: mean over seeds (seed ${Array.from({ length: seeds }, (_, i) => i + 1).join(", ")})`,
  "",
  `| strategy | regime | ${columns.map((c) => c[2]).join(" | ")} | retention @${L} (base PPL / PPL) |`,
  `| --- | --- | ${columns.map(() => "---").join(" | ")} | --- |`,
  ...overview,
  "",
  "## Who leads each column, per seed (within a regime, all strategies on the same documents)",
  "",
  "A best is named only where it is significantly better than every other strategy of the column (exact paired " +
  "tests, Holm-adjusted); otherwise the strategies not distinguishable from the top one are listed.",
  "",
  `| regime | column | ${Array.from({ length: seeds }, (_, i) => `seed ${i + 1}`).join(" | ")} |`,
  `| --- | --- | ${Array.from({ length: seeds }, () => "---").join(" | ")} |`,
  ...leaderRows,
  "",
  "## Paired differences: per seed (document noise only) and across seeds (the claim)",
  "",
  `Differences a − b in the metric's score unit (${
    [...new Set(entries.map((e) => `${e.metric}: ${info(e.metric).scoreUnit}`))].join("; ")
  }). Per seed: difference [95% CI] from \`compare/statistics.ts\` (exact paired tests; * = significant after ` +
  "Holm within that seed's report) in seed<s>/<view>/report.json. Across seeds: the mean of the seed " +
  "differences with a one-sample t interval over the seeds, its p-value and Holm-adjusted p (over every " +
  "comparison of the metric in this table); only this column supports a claim about the method.",
  "",
  "| view | column | a − b | per seed: difference [95% CI] | across seeds: mean [95% t CI] | p / Holm p |",
  "| --- | --- | --- | --- | --- | --- |",
  ...comparisonRows,
  "",
].join("\n");
await Deno.writeTextFile(join(OUT, "table.md"), table);
await Deno.writeTextFile(
  join(OUT, "summary.json"),
  JSON.stringify(
    {
      setup: name,
      seeds,
      steps,
      strategies: chosen,
      comparisons: entries,
      verdicts: verdictsBySeed,
      values: cellsBySeed,
    },
    null,
    1,
  ) +
    "\n",
);

// 4. NLL by position at the target, seed 1: each strategy training-free (dashed) and after mixed fine-tuning.
const series: Series[] = [];
for (const [i, s] of strategies.entries()) {
  for (const regime of ["free", "plain", "mixed"] as const) {
    const e = (await readReport(join(OUT, "seed1", "eval", `${slug(s.label)}_${regime}.json`))).strategies[0];
    series.push({
      name: `${s.label.replace(" (searched)", "")} ${regimeLabel(regime)}`,
      // The report's curve is perplexity; this chart reads in nats.
      points: e.metrics.ppl.lines![`ppl_by_position_${T}`].map(([x, y]) => [x, Math.log(y)]),
      dashed: regime === "free",
      color: i * 3 + REGIMES.findIndex((r) => r.regime === regime),
    });
  }
}
await Deno.writeTextFile(
  join(OUT, "ppl_by_position.svg"),
  lineChart({
    title: `${name}: NLL by position at ${T} (L0 = ${L}), seed 1`,
    xLabel: "position",
    yLabel: "mean NLL (nats/token)",
    series,
    markers: [{ x: setup.l0, label: "L0" }],
  }),
);
console.log(table);
