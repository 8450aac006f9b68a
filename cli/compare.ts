/**
 * `deno task compare`: extend a model with each strategy and compare them side by side.
 *
 * @module
 */
import { CONFIG_ENTRY } from "../strategies/config_rope.ts";
import { compare, type CompareReport } from "../compare/compare.ts";
import { resolveStrategyList } from "../entries/mod.ts";
import { textReport, writeReport } from "../compare/report.ts";
import { builtinRegistry } from "../strategies/registry.ts";
import { corpusSlice, loadCorpus } from "../eval/corpus.ts";
import { checkTemplate, NEEDLE_TEMPLATES, type NeedleTemplate } from "../eval/needle.ts";
import { resolveHfDatasetFile } from "../model/hub.ts";
import { DEFAULT_MODEL, DEFAULT_MODEL_NAME, defaultLengths, defaultText } from "../compare/defaults.ts";
import { COMPARE_FLAG_OPTIONS, compareFlagUsage, compareFlagValues } from "./compare_flags.ts";
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
  runCommand,
} from "./args.ts";

const USAGE = `Usage: deno task compare --strategies LIST [options]

  --strategies LIST      comma-separated entries: name, name:k=v,k=v, name@result.json, or a plugin
                         URL/path (e.g. yarn,yarn:beta_fast=16,longrope2@search.json,./my_rope.ts)
  --model M              model (default: $ROPEKIT_MODEL, else ropekit's ${DEFAULT_MODEL_NAME} in models/)
  --text FILE            evaluation text (default: $ROPEKIT_TEXT, else eval.txt beside the model,
                         else TinyStories validation, downloaded once)
  --text-range A:B       use only this fraction of the text (e.g. 0:0.5, held out from a search on 0.5:1)
${compareFlagUsage()}
  --json                 print the report as JSON on stdout
  --out DIR              write report.json, report.html, report.txt and SVG charts into DIR
  --queue URL            score on queue workers (deno task worker) on this Redis, the strategies side
                         by side: redis://[:password@]host:port[/db]; same report as in-process
${QUEUE_USAGE}
${MODEL_USAGE}`;

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
    "text-range": { type: "string" },
    json: { type: "boolean" },
    out: { type: "string" },
    ...COMPARE_FLAG_OPTIONS,
    ...QUEUE_OPTIONS,
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  if (typeof v.strategies !== "string" || !v.strategies.trim()) {
    throw new CliError("--strategies LIST is required (see --help)");
  }
  // Every declared option typed and checked before the model loads (compare/options.ts).
  const { margin: margins, lengths: lengthsGiven, target, ...declared } = compareFlagValues(v);
  const template = await templateFrom(v.template);

  const textRange = v["text-range"] === undefined ? undefined : numberPair("--text-range", v["text-range"]);
  const modelName = v.model ?? Deno.env.get("ROPEKIT_MODEL") ?? DEFAULT_MODEL;
  const model = await loadModelFromFlags({ ...v, model: modelName });
  const L0 = model.spec.originalContext;
  const lengths = lengthsGiven ?? defaultLengths(L0);
  checkMemory(lengths, model.config);
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

  let textPath = await defaultText(modelName, v.text);
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
    : await openQueueScorer(v.queue, model, secretFromFlags(v)).catch(
      async (e) => {
        await close();
        throw e;
      },
    );
  const settings = {
    model,
    modelName,
    corpus,
    ...declared,
    lengths,
    target,
    template,
    // The model's own RoPE is the natural reference when it is one of the rows.
    reference: declared.reference ??
      (entries.some((e) => e.label === CONFIG_ENTRY) ? CONFIG_ENTRY : undefined),
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
    const files = await writeReport(report, v.out);
    console.error(`wrote ${files.join(", ")}`);
  }
  console.log(v.json ? JSON.stringify(report, null, 2) : textReport(report));
}

if (import.meta.main) await runCommand(main);
