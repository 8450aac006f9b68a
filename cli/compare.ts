/**
 * `deno task compare`: extend a model with each strategy and compare them side by side.
 *
 * @module
 */
import { CONFIG_ENTRY } from "../strategies/config_rope.ts";
import { compare, type CompareReport, type MetricId, METRICS } from "../compare/compare.ts";
import { resolveStrategyList } from "./strategy_list.ts";
import { textReport, writeReport } from "../compare/report.ts";
import { builtinRegistry } from "../strategies/registry.ts";
import { corpusSlice, loadCorpus } from "../eval/corpus.ts";
import { checkTemplate, NEEDLE_TEMPLATES, type NeedleTemplate } from "../eval/needle.ts";
import { resolveHfDatasetFile } from "../model/hub.ts";
import {
  COMPARE_DEFAULTS,
  DEFAULT_MODEL,
  DEFAULT_MODEL_NAME,
  defaultLengths,
  defaultText,
} from "../compare/defaults.ts";
import { stderrProgress } from "../util/progress.ts";
import { openQueueScorer, QUEUE_OPTIONS, QUEUE_USAGE, secretFromFlags } from "./queue_option.ts";
import { compareOnQueue } from "../queue/queue_compare.ts";
import {
  CliError,
  loadModelFromFlags,
  MODEL_OPTIONS,
  MODEL_USAGE,
  numberPair,
  parseFlags,
  positiveInt,
  runCommand,
} from "./args.ts";

const USAGE = `Usage: deno task compare --strategies LIST [options]

  --strategies LIST      comma-separated entries: name, name:k=v,k=v, name@result.json, or a plugin
                         URL/path (e.g. yarn,yarn:beta_fast=16,longrope2@search.json,./my_rope.ts)
  --model M              model (default: $ROPEKIT_MODEL, else ropekit's ${DEFAULT_MODEL_NAME} in models/)
  --text FILE            evaluation text (default: $ROPEKIT_TEXT, else eval.txt beside the model,
                         else TinyStories validation, downloaded once)
  --text-range A:B       use only this fraction of the text (e.g. 0:0.5, held out from a search on 0.5:1)
  --lengths L1,L2,...    evaluation lengths in tokens (default: 2·L0,4·L0)
  --target N             length the strategies extend to, ≥ every length (default: each length is
                         its own target)
  --metrics LIST         any of ${METRICS.join(",")} (default: ${COMPARE_DEFAULTS.metrics.join(",")})
  --samples N            windows / documents per length (default ${COMPARE_DEFAULTS.samples})
  --seed S               random seed (default ${COMPARE_DEFAULTS.seed})
  --template T           needle template: ${
  Object.keys(NEEDLE_TEMPLATES).join(", ")
} or a JSON file (default: magic-number
                         where the model passes the validity check with it, else story-pet)
  --digits N             digits of the magic number and the passkey (default 7)
  --depths D1,D2,...     needle depths in [0, 1] (default 0,0.25,0.5,0.75)
  --reference LABEL      compare every strategy against this one (default: config when listed, else the best per column)
  --primary METRIC@LEN   a pre-registered primary column (e.g. pet-choice@1024): its comparisons are
                         adjusted as their own family, not with the rest of the metric's
  --margin M=X,...       equivalence margins in each metric's score unit (default ppl/needle/short
                         0.02 nats, passkey/pet-choice 0.1 = 10 points), e.g. --margin ppl=0.05
  --json                 print the report as JSON on stdout
  --out DIR              write report.json, report.html, report.txt and SVG charts into DIR
  --queue URL            score on queue workers (deno task worker) on this Redis, the strategies side
                         by side: redis://[:password@]host:port[/db]; same report as in-process
${QUEUE_USAGE}
${MODEL_USAGE}`;

function intList(flag: string, raw: string): number[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new CliError(`${flag} needs at least one value`);
  return items.map((s) => positiveInt(flag, s)!);
}

/** `ppl=0.05,pet-choice=0.1` → margins by metric id (positive numbers, compared metrics only). */
function marginList(raw: string, metrics: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [id, x] = item.split("=");
    const v = Number(x);
    if (!metrics.includes(id) || !(v > 0)) {
      throw new CliError(`--margin takes METRIC=X with a compared metric and X > 0, got "${item}"`);
    }
    out[id] = v;
  }
  return out;
}

function depthList(raw: string): number[] {
  return raw.split(",").map((s) => {
    const d = Number(s.trim());
    if (s.trim() === "" || !(d >= 0 && d <= 1)) {
      throw new CliError(`--depths values must lie in [0, 1], got "${s}"`);
    }
    return d;
  });
}

async function templateFrom(raw: string | undefined): Promise<NeedleTemplate | undefined> {
  if (raw === undefined) return undefined;
  if (NEEDLE_TEMPLATES[raw]) return NEEDLE_TEMPLATES[raw];
  let text: string;
  try {
    text = await Deno.readTextFile(raw);
  } catch {
    throw new CliError(
      `--template ${raw}: not a built-in template (${
        Object.keys(NEEDLE_TEMPLATES).join(", ")
      }) nor a readable file`,
    );
  }
  try {
    return checkTemplate(JSON.parse(text));
  } catch (e) {
    throw new CliError(`--template ${raw}: ${(e as Error).message}`);
  }
}

/**
 * Refuses lengths that cannot run: each pass holds O(T·d) activations and a T-long KV cache per layer
 * (never T×T), so memory grows linearly; refuse what would not fit in half the free memory.
 */
function checkMemory(
  lengths: number[],
  cfg: {
    dim: number;
    hiddenDim: number;
    nLayers: number;
    nKvHeads: number;
    headDim: number;
    vocabSize: number;
  },
) {
  const free = Deno.systemMemoryInfo().available;
  for (const T of lengths) {
    const perToken = 4 * (cfg.dim * 8 + cfg.hiddenDim * 3 + 2 * cfg.nLayers * cfg.nKvHeads * cfg.headDim);
    const bytes = T * perToken;
    if (bytes > free / 2) {
      throw new CliError(
        `--lengths ${T}: needs about ${
          (bytes / 2 ** 30).toFixed(1)
        } GiB of activations, more than half the ` +
          `${(free / 2 ** 30).toFixed(1)} GiB free`,
      );
    }
  }
}

async function main() {
  const v = parseFlags(Deno.args, {
    ...MODEL_OPTIONS,
    strategies: { type: "string" },
    text: { type: "string" },
    lengths: { type: "string" },
    target: { type: "string" },
    metrics: { type: "string" },
    samples: { type: "string" },
    seed: { type: "string" },
    template: { type: "string" },
    depths: { type: "string" },
    digits: { type: "string" },
    reference: { type: "string" },
    primary: { type: "string" },
    margin: { type: "string" },
    "text-range": { type: "string" },
    json: { type: "boolean" },
    out: { type: "string" },
    ...QUEUE_OPTIONS,
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  if (typeof v.strategies !== "string" || !v.strategies.trim()) {
    throw new CliError("--strategies LIST is required (see --help)");
  }
  const metrics = ((v.metrics as string | undefined)?.split(",").map((m) => m.trim()) ??
    [...COMPARE_DEFAULTS.metrics]) as MetricId[];
  for (const m of metrics) {
    if (!METRICS.includes(m)) {
      throw new CliError(`--metrics: unknown metric "${m}" (known: ${METRICS.join(", ")})`);
    }
  }
  const samples = positiveInt("--samples", v.samples) ?? COMPARE_DEFAULTS.samples;
  const seedRaw = v.seed as string | undefined;
  const seed = seedRaw === undefined ? COMPARE_DEFAULTS.seed : Number(seedRaw);
  if (!Number.isInteger(seed) || seed < 0) {
    throw new CliError(`--seed must be a non-negative integer, got "${seedRaw}"`);
  }
  const template = await templateFrom(v.template as string | undefined);
  const depths = v.depths === undefined ? undefined : depthList(v.depths as string);
  const digits = positiveInt("--digits", v.digits);
  if (digits !== undefined && digits > 15) throw new CliError(`--digits must be at most 15, got ${digits}`);

  const primary = v.primary as string | undefined;
  if (primary !== undefined) {
    const [m, len] = primary.split("@");
    if (!METRICS.includes(m as MetricId) || !metrics.includes(m as MetricId) || !len) {
      throw new CliError(`--primary must be METRIC@LENGTH of a compared metric, got "${primary}"`);
    }
  }
  const margins = v.margin === undefined ? undefined : marginList(v.margin as string, metrics);

  const textRange = v["text-range"] === undefined
    ? undefined
    : numberPair("--text-range", v["text-range"] as string);
  const modelName = (v.model as string | undefined) ?? Deno.env.get("ROPEKIT_MODEL") ?? DEFAULT_MODEL;
  const model = await loadModelFromFlags({ ...v, model: modelName });
  const L0 = model.spec.originalContext;
  const lengths = v.lengths === undefined ? defaultLengths(L0) : intList("--lengths", v.lengths as string);
  for (const L of lengths) {
    if (L < 2) throw new CliError(`--lengths: a window needs at least 2 tokens, got ${L}`);
  }
  checkMemory(lengths, model.config);
  const target = positiveInt("--target", v.target);
  // Scoring beyond the length a strategy was extended to measures the failure it was meant to fix:
  // almost always a mistake (e.g. --target 100 meant for --lengths 100), so it is refused.
  const beyond = target === undefined ? [] : lengths.filter((L) => L > target);
  if (beyond.length > 0) {
    throw new CliError(
      `--target ${target} is below the evaluation length ${beyond.join(", ")}: the strategies would be ` +
        `scored beyond the length they extend to; give --target ≥ ${Math.max(...beyond)}, or leave it out ` +
        `(each length is then its own target)`,
    );
  }

  let textPath = await defaultText(modelName, v.text as string | undefined);
  if (textPath.startsWith("hf-dataset:")) textPath = await resolveHfDatasetFile(textPath);
  const whole = await loadCorpus(textPath, model.tokenizer);
  let corpus = whole;
  try {
    if (textRange) corpus = corpusSlice(whole, textRange, model.tokenizer);
  } catch (e) {
    throw new CliError(`--text-range: ${(e as Error).message}`);
  }

  const { entries, close } = await resolveStrategyList(v.strategies, builtinRegistry(), model.configRope);
  const queue = v.queue === undefined
    ? undefined
    : await openQueueScorer(v.queue as string, model, secretFromFlags(v)).catch(
      async (e) => {
        await close();
        throw e;
      },
    );
  const settings = {
    model,
    modelName,
    corpus,
    lengths,
    target,
    metrics,
    samples,
    seed,
    template,
    depths,
    digits,
    // The model's own RoPE is the natural reference when it is one of the rows.
    reference: (v.reference as string | undefined) ??
      (entries.some((e) => e.label === CONFIG_ENTRY) ? CONFIG_ENTRY : undefined),
    primary,
    margins,
    onProgress: stderrProgress(),
  };
  let report: CompareReport;
  try {
    report = queue
      ? await compareOnQueue({ ...settings, strategies: entries }, queue)
      : await compare({ ...settings, strategies: entries });
  } finally {
    await close();
    await queue?.close();
  }
  // What each metric chose and why (e.g. the needle template's validity and any fallback), for --json too.
  for (const m of report.metrics) if (m.note) console.error(`${m.id}: ${m.note}`);
  if (v.out) {
    const files = await writeReport(report, v.out as string);
    console.error(`wrote ${files.join(", ")}`);
  }
  console.log(v.json ? JSON.stringify(report, null, 2) : textReport(report));
}

if (import.meta.main) await runCommand(main);
