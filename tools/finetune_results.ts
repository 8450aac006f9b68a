/**
 * The fine-tuning results of issue 8 — LongRoPE2's table in miniature: each strategy training-free,
 * then after an equal fine-tuning budget without and with mixed context windows, scored by
 * needle-driven perplexity and passkey accuracy at the target length and perplexity within L0.
 *
 *   deno run -A tools/finetune_results.ts default        # ropekit's default model, 256 → 2048 (8×)
 *   deno run -A tools/finetune_results.ts stories260K    # ../shared's stories260K, 512 → 2048 (4×)
 *
 * Every step is a ropekit command (search, finetune, compare) whose output lands in
 * docs/results/finetune/<setup>/; a step whose output exists is skipped, so a stopped run continues.
 * The last step writes table.md from the reports. Fine-tuned weights stay in .cache/finetune/.
 *
 * Short-context perplexity is measured with the RoPE each regime gives short inputs: training-free
 * and without mixing, the strategy's own table at L0 (PI and YaRN rescale every length); with mixed
 * windows the original RoPE, which is what the short windows were trained with and what LongRoPE2
 * applies within L0. Retention is the base model's original-RoPE perplexity over that perplexity.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { CompareReport, StrategyReport } from "../compare/compare.ts";
import { lineChart, type Series } from "../util/svg_chart.ts";
import { estimate } from "../util/stats.ts";
import { factDocument } from "../train/fact_corpus.ts";
import { pathExists } from "../util/path_exists.ts";

interface Setup {
  model: string;
  /** Needle haystack / long-perplexity text (the compare text). */
  text: string;
  textRange?: string;
  /** The search's text and range: never the evaluation's documents. */
  searchText: string;
  searchRange: string;
  /** In-distribution text for short-context perplexity. */
  shortText: string;
  l0: number;
  target: number;
  template: string;
  /** Fine-tuning data flags (default: the generated facts corpus). */
  data: string[];
  steps: number;
  batch: number;
  lr: string;
  /** A LongRoPE2 search result to reuse, or undefined to search here. */
  searched?: string;
}

const root = new URL("../", import.meta.url).pathname;
// Paths are relative to the repository root (the commands run there), so reports name them portably.
const SHARED = "../shared";

const SETUPS: Record<string, () => Promise<Setup>> = {
  default: async () => {
    const out = ".cache/finetune/default";
    await Deno.mkdir(out, { recursive: true });
    const shortText = join(out, "short.txt");
    // Held-out fact documents (a seed training never used, past the drill curriculum) for short-context
    // perplexity. Long ones (1,200–2,000 tokens), so an L0 window almost always lies inside one document:
    // the model was trained with per-document masks and never attended across a document boundary, so
    // windows spanning short documents would measure that, not its short-context quality.
    await Deno.writeTextFile(
      shortText,
      Array.from({ length: 60 }, (_, i) => factDocument(9001, 100_000 + i, { filler: [100, 170] })).join(
        "\n\n",
      ),
    );
    return {
      model: "models/facts837K/model.bin",
      text: "models/facts837K/eval.txt",
      searchText: "models/facts837K/search.txt",
      searchRange: "0:1",
      shortText,
      l0: 256,
      target: 2048,
      template: "story-pet",
      data: [],
      steps: 60,
      batch: 4,
      lr: "5e-4",
    };
  },
  stories260K: async () => {
    const out = ".cache/finetune/stories260K";
    await Deno.mkdir(out, { recursive: true });
    const text = join(SHARED, "data/tinystories_valid_head.txt");
    // Fine-tune on the second half of the text; every evaluation uses the first half.
    const all = await Deno.readTextFile(text);
    const trainText = join(out, "train_half.txt");
    await Deno.writeTextFile(trainText, all.slice(Math.floor(all.length / 2)));
    return {
      model: join(SHARED, "models/stories260K/stories260K.bin"),
      text,
      textRange: "0:0.5",
      searchText: text,
      searchRange: "0.5:1",
      shortText: text,
      l0: 512,
      target: 2048,
      template: "story-pet",
      data: ["--data", trainText],
      steps: 60,
      batch: 2,
      lr: "5e-4",
      searched: "docs/results/search/longrope2_2048.json",
    };
  },
};

const name = Deno.args[0];
if (!SETUPS[name]) {
  console.error(`usage: finetune_results.ts ${Object.keys(SETUPS).join("|")}`);
  Deno.exit(1);
}
Deno.chdir(root);
const setup = await SETUPS[name]();
const OUT = join("docs/results/finetune", name);
const WEIGHTS = join(".cache/finetune", name);
await Deno.mkdir(OUT, { recursive: true });

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
  await Deno.mkdir(dirname(output), { recursive: true });
  await run();
}

// 1. LongRoPE2's factors and critical index by evolutionary search guided by needle-driven perplexity.
const searched = setup.searched ?? join(OUT, "search_longrope2.json");
await step(searched, async () => {
  await ropekit("search", [
    ...[
      "--strategy",
      "longrope2",
      "--model",
      setup.model,
      "--text",
      setup.searchText,
      "--target",
      `${setup.target}`,
    ],
    ...["--fitness", "needle", "--template", setup.template, "--text-range", setup.searchRange],
    ...[
      "--population",
      "16",
      "--generations",
      "8",
      "--parents",
      "8",
      "--mutations",
      "4",
      "--crossovers",
      "4",
    ],
    ...["--budget", "80", "--seed", "0", "--quiet", "--out", searched],
  ]);
});

/** Strategies: the entry to fine-tune with, and the entry to evaluate a --no-mixed fine-tune with. */
const STRATEGIES: { label: string; entry: string; plain: string }[] = [
  { label: "PI", entry: "pi", plain: "pi" },
  { label: "NTK", entry: "ntk", plain: "ntk" },
  { label: "YaRN", entry: "yarn", plain: "yarn" },
  { label: "Llama 3", entry: "llama3", plain: "llama3" },
  {
    label: "LongRoPE2 (searched)",
    entry: `longrope2@${searched}`,
    plain: `longrope2@${searched}:original_within_l0=false`,
  },
];
type Regime = "free" | "plain" | "mixed";
const REGIMES: { regime: Regime; label: string }[] = [
  { regime: "free", label: "training-free" },
  { regime: "plain", label: `fine-tuned, no mixing` },
  { regime: "mixed", label: `fine-tuned, mixed windows` },
];
const slug = (label: string) => label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/_$/, "");

const textFlags = ["--text", setup.text, ...(setup.textRange ? ["--text-range", setup.textRange] : [])];
const common = ["--target", `${setup.target}`, "--samples", "16", "--seed", "1", "--json"];

// 2. Fine-tunes (equal budgets) and 3. evaluations.
for (const s of STRATEGIES) {
  for (const { regime } of REGIMES) {
    const id = `${slug(s.label)}_${regime}`;
    let model = setup.model;
    if (regime !== "free") {
      model = join(WEIGHTS, id, "model.bin");
      await step(join(OUT, "loss", `${id}.svg`), async () => {
        await ropekit("finetune", [
          ...["--model", setup.model, "--strategy", s.entry, "--target", `${setup.target}`, "--out", model],
          ...["--steps", `${setup.steps}`, "--batch", `${setup.batch}`, "--lr", setup.lr, ...setup.data],
          ...(regime === "plain" ? ["--no-mixed"] : []),
        ]);
        await Deno.copyFile(join(dirname(model), "loss.svg"), join(OUT, "loss", `${id}.svg`));
      });
    }
    const entry = regime === "plain" ? s.plain : s.entry;
    await step(join(OUT, "eval", `${id}.json`), async () => {
      const json = await ropekit("compare", [
        ...["--model", model, "--strategies", entry, ...textFlags, ...common],
        ...[
          "--lengths",
          `${setup.target}`,
          "--metrics",
          "ppl,needle,pet-choice",
          "--template",
          setup.template,
        ],
      ]);
      await Deno.writeTextFile(join(OUT, "eval", `${id}.json`), json);
    });
    // Short-context perplexity with the RoPE this regime gives short inputs.
    const shortEntry = regime === "mixed" ? "default" : entry;
    await step(join(OUT, "eval", `${id}_short.json`), async () => {
      const json = await ropekit("compare", [
        ...["--model", model, "--strategies", shortEntry, "--text", setup.shortText, ...common],
        ...["--lengths", `${setup.l0}`, "--metrics", "ppl"],
      ]);
      await Deno.writeTextFile(join(OUT, "eval", `${id}_short.json`), json);
    });
  }
}

// 4. The base model's own short-context perplexity (original RoPE), the 100% of retention.
await step(join(OUT, "eval", "base_short.json"), async () => {
  const json = await ropekit("compare", [
    ...["--model", setup.model, "--strategies", "default", "--text", setup.shortText, ...common],
    ...["--lengths", `${setup.l0}`, "--metrics", "ppl"],
  ]);
  await Deno.writeTextFile(join(OUT, "eval", "base_short.json"), json);
});

// 5. The table.
const read = async (id: string): Promise<StrategyReport & { validity?: string }> => {
  const r = JSON.parse(await Deno.readTextFile(join(OUT, "eval", `${id}.json`))) as CompareReport;
  return { ...r.strategies[0], validity: r.metrics.find((m) => m.id === "needle")?.note };
};
const base = await read("base_short");
const basePpl = base.metrics.ppl.cells[`${setup.l0}`].value;
const T = `${setup.target}`, L = `${setup.l0}`;
const rows: string[] = [];
let validity = "";
for (const s of STRATEGIES) {
  for (const { regime, label } of REGIMES) {
    const id = `${slug(s.label)}_${regime}`;
    const e = await read(id), sh = await read(`${id}_short`);
    validity ||= e.validity ?? "";
    const needle = e.metrics.needle.cells[T], passkey = e.metrics["pet-choice"].cells[T];
    const ppl = e.metrics.ppl.cells[T];
    const short = sh.metrics.ppl.cells[L].value;
    const needleSe = estimate(needle.scores).stderr; // of the mean answer NLL (the cell's ± is of the ppl)
    rows.push(
      `| ${s.label} | ${label} | ${needle.value.toFixed(3)} (${needle.mean.toFixed(3)} ± ${
        needleSe.toFixed(3)
      }) | ` +
        `${(100 * passkey.mean).toFixed(0)}% ± ${(100 * passkey.stderr).toFixed(0)} | ${
          ppl.value.toFixed(3)
        } | ` +
        `${short.toFixed(3)} | ${(100 * basePpl / short).toFixed(1)}% |`,
    );
  }
}
const table = [
  `# ${name}: extended ${setup.l0} → ${setup.target} (${setup.target / setup.l0}×)`,
  "",
  `Reproduce: \`deno run -A tools/finetune_results.ts ${name}\` (steps whose output exists are skipped).`,
  `Fine-tuning budget per run: ${setup.steps} steps of ${setup.batch}×${setup.l0} short + 1×${setup.target} long ` +
  `tokens, lr ${setup.lr}. Needle template: ${setup.template}. Base model short-context perplexity ` +
  `(original RoPE, ${setup.l0} tokens): ${basePpl.toFixed(3)}.`,
  "",
  `Needle validity of the base model: ${validity}`,
  "",
  `| strategy | regime | needle PPL @${T} (answer NLL ± se) | pet-choice @${T} | PPL @${T} | PPL @${L} | short retention |`,
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...rows,
  "",
].join("\n");
await Deno.writeTextFile(join(OUT, "table.md"), table);

// 6. Perplexity by position at the target: each strategy training-free (dashed) and after mixed fine-tuning.
const series: Series[] = [];
for (const [i, s] of STRATEGIES.entries()) {
  for (const regime of ["free", "mixed"] as const) {
    const e = await read(`${slug(s.label)}_${regime}`);
    series.push({
      name: `${s.label.replace(" (searched)", "")} ${regime === "free" ? "free" : "tuned+mixed"}`,
      // The report's curve is perplexity; this chart reads in nats.
      points: e.metrics.ppl.lines![`ppl_by_position_${T}`].map(([x, y]) => [x, Math.log(y)]),
      dashed: regime === "free",
      color: i,
    });
  }
}
await Deno.writeTextFile(
  join(OUT, "ppl_by_position.svg"),
  lineChart({
    title: `${name}: NLL by position at ${T} (L0 = ${L})`,
    xLabel: "position",
    yLabel: "mean NLL (nats/token)",
    series,
    markers: [{ x: setup.l0, label: "L0" }],
  }),
);
console.log(table);
