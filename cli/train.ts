/**
 * `deno task train`: trains a llama model from scratch on the CPU, on generated stories (no
 * downloads) or a text file, and writes a llama2.c `.bin` + tokenizer that `loadModel` reads.
 *
 *   deno task train --config tiny --steps 300 --seq 256 --out runs/tiny/model.bin [--resume]
 *
 * @module
 */
import { MODEL_CONFIGS } from "../train/configs.ts";
import { type DataSource, defaultFiller } from "../train/data_source.ts";
import { DEFAULT_LR, resumeTraining, startTraining, type TrainRunOptions } from "../train/run.ts";
import {
  CliError,
  type Flags,
  parseFlags,
  positiveInt,
  required,
  runCommand,
  STRATEGY_OPTIONS,
  STRATEGY_USAGE,
  tableFromFlags,
} from "./args.ts";
import {
  corpusFlag,
  learningRateFlag,
  recallOnly,
  recallWordingFlags,
  resumedLine,
  trainWithProgress,
} from "./train_report.ts";

const USAGE = `Usage: deno task train --out model.bin [options]

  --out FILE             the llama2.c checkpoint to write; tok<vocab>.bin and loss.svg go beside it,
                         the training state to FILE.ckpt
  --config C             model size: ${Object.keys(MODEL_CONFIGS).join(" | ")} (default tiny)
  --steps N              train until step N (default 200)
  --seq N                tokens per window (default 256)
  --batch N              windows per micro-batch (default 4)
  --accum N              micro-batches per step: gradient accumulation (default 1)
  --lr X                 peak learning rate (default ${DEFAULT_LR}); warm-up then cosine to lr/10
  --warmup N             warm-up steps (default steps/10, at most 100)
  --data FILE            train on a text file (documents separated by blank lines)
                         instead of a generated corpus
  --corpus C             generated corpus: facts (pets' names and magic numbers stated early,
                         asked for at the end) | stories | recall (arbitrary keys and
                         values in varied wording, never the eval templates) (default stories)
  --filler A,B           filler sentences per generated document (default 0,14 facts; 0,20 recall;
                         2,20 stories)
  --first-doc N          start the data at document N (default 0)
  --drill-docs N         recall corpus: documents at the start that are 95% copy drills, back to back
                         (default 8000, about 350 steps of 8 × 256 tokens)
  --paragraphs           recall corpus: document bodies in paragraphs with blank lines between, as the
                         needle haystacks are written
  --gap-words            recall corpus: half of the questions put a varied phrase (some words made up)
                         between the key and the answer's "is"
  --tokenizer T          FILE: a llama2.c tokenizer.bin (e.g. tok512.bin); bpe:N: train an N-piece
                         BPE on the corpus (written beside --out); bpe:N:digits3: plus every 2- and
                         3-digit group (numbers split like Llama 3's); default: bytes
  --seed N               weights and story corpus seed (default 1)
  --checkpoint-every N   write FILE.ckpt every N steps (default 50)
  --no-doc-masks         let packed documents attend to each other (positions run on)
  --whole-docs           start every window at a document: drop the tail of a document cut at a
                         window's end (else its questions open the next window without their facts)
  --resume               continue from FILE.ckpt (its options win; --steps may extend the run)

Fine-tuning and LongRoPE2's mixed context window training:
  --init M               start from a llama2.c .bin (needs --tokenizer) instead of random weights
  --mixed                add long windows to every micro-batch: full attention under the RoPE of
                         --strategy (the short windows keep document masks and the model's RoPE)
  --long-seq N           tokens per long window (default 4 × --seq)
  --long-windows N       long windows per micro-batch (default 1)
  --long-filler A,B      filler sentences per long generated document (default: from --seq/12
                         to --long-seq/12 sentences, so documents span L0 … the long window)
  --rescale-short        the ablation without mixing: short windows take the rescaled RoPE too
${STRATEGY_USAGE}
  -h, --help             this text`;

/** A flag of the form A,B with 0 ≤ A ≤ B integers. */
function rangeFlag(flag: string, raw: string | undefined, fallback: [number, number]): [number, number] {
  if (raw === undefined) return fallback;
  const m = raw.match(/^(\d+),(\d+)$/);
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new CliError(`${flag} must look like A,B with A ≤ B, got ${raw}`);
  }
  return [Number(m[1]), Number(m[2])];
}

function longSeqFlag(values: TrainFlags, seqLen: number): number {
  return positiveInt("--long-seq", values["long-seq"]) ?? 4 * seqLen;
}

/** The options `deno task train` accepts. */
const TRAIN_OPTIONS = {
  out: { type: "string" },
  config: { type: "string" },
  steps: { type: "string" },
  seq: { type: "string" },
  batch: { type: "string" },
  accum: { type: "string" },
  lr: { type: "string" },
  warmup: { type: "string" },
  data: { type: "string" },
  corpus: { type: "string" },
  filler: { type: "string" },
  "drill-docs": { type: "string" },
  paragraphs: { type: "boolean" },
  "gap-words": { type: "boolean" },
  seed: { type: "string" },
  "first-doc": { type: "string" },
  tokenizer: { type: "string" },
  init: { type: "string" },
  mixed: { type: "boolean" },
  "long-seq": { type: "string" },
  "long-windows": { type: "string" },
  "long-filler": { type: "string" },
  "rescale-short": { type: "boolean" },
  ...STRATEGY_OPTIONS,
  "checkpoint-every": { type: "string" },
  "no-doc-masks": { type: "boolean" },
  "whole-docs": { type: "boolean" },
  resume: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The parsed flags of `train`, each typed by its declaration. */
type TrainFlags = Flags<typeof TRAIN_OPTIONS>;

/** The data flags as a {@linkcode DataSource}. */
function dataSource(values: TrainFlags): DataSource {
  const corpus = corpusFlag(values) ?? "stories";
  recallOnly(values, corpus, "drill-docs");
  const generatedLong = values.mixed && values.data === undefined;
  const seqLen = positiveInt("--seq", values.seq) ?? 256;
  const sentences = (tokens: number) => Math.max(1, Math.round(tokens / 12));
  return {
    data: values.data ?? null,
    corpus,
    seed: positiveInt("--seed", values.seed) ?? 1,
    filler: rangeFlag("--filler", values.filler, defaultFiller(corpus)),
    longFiller: generatedLong
      ? rangeFlag("--long-filler", values["long-filler"], [
        sentences(seqLen),
        sentences(longSeqFlag(values, seqLen)),
      ])
      : undefined,
    tokenizer: values.tokenizer ?? null,
    firstDoc: positiveInt("--first-doc", values["first-doc"]),
    drillDocs: corpus === "recall" ? positiveInt("--drill-docs", values["drill-docs"]) : undefined,
    ...recallWordingFlags(values, corpus),
    wholeDocs: values["whole-docs"] || undefined,
  };
}

/** The flags of a new run as the training use case's options. */
function runOptions(values: TrainFlags, out: string, steps: number): TrainRunOptions {
  const seqLen = positiveInt("--seq", values.seq) ?? 256;
  const strategyFlags = values.strategy !== undefined || values.param !== undefined ||
    values.target !== undefined || values["rescale-short"] || values["long-filler"] !== undefined;
  if (!values.mixed && strategyFlags) {
    throw new CliError(
      "--strategy, --param, --target, --long-filler and --rescale-short set the long windows: add --mixed",
    );
  }
  const init = values.init;
  return {
    out,
    model: init !== undefined ? { init } : { config: values.config ?? "tiny" },
    data: dataSource(values),
    steps,
    seqLen,
    batchSize: positiveInt("--batch", values.batch),
    accumulation: positiveInt("--accum", values.accum),
    lr: learningRateFlag(values.lr),
    warmup: positiveInt("--warmup", values.warmup),
    documentMasks: !values["no-doc-masks"],
    long: values.mixed
      ? {
        seqLen: longSeqFlag(values, seqLen),
        windows: positiveInt("--long-windows", values["long-windows"]) ?? 1,
        shortRope: values["rescale-short"] ? "rescaled" : "original",
        table: (spec, n) => tableFromFlags(values, spec, n),
      }
      : undefined,
  };
}

/** Runs `deno task train` with parsed flags. */
async function train(values: TrainFlags): Promise<void> {
  if (values.help) return console.log(USAGE);
  const out = required(values, "out");
  const every = positiveInt("--checkpoint-every", values["checkpoint-every"]);
  const steps = positiveInt("--steps", values.steps);
  if (values.resume) {
    const run = await resumeTraining(out);
    console.error(resumedLine(run));
    // A resumed run trains to the end of its schedule unless told otherwise.
    return await trainWithProgress(run, steps ?? run.trainer.opts.schedule.totalSteps, every);
  }
  const run = await startTraining(runOptions(values, out, steps ?? 200));
  await trainWithProgress(run, run.trainer.opts.schedule.totalSteps, every);
}

if (import.meta.main) await runCommand(() => train(parseFlags(Deno.args, TRAIN_OPTIONS)));
