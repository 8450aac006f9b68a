/**
 * `deno task train`: trains a llama model from scratch on the CPU, on generated stories (no
 * downloads) or a text file, and writes a llama2.c `.bin` + tokenizer that `loadModel` reads.
 *
 *   deno task train --config tiny --steps 300 --seq 256 --out runs/tiny/model.bin [--resume]
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { RopeApply } from "../kernels/rope_apply.ts";
import type { LlamaConfig, LlamaWeights } from "../model/config.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { loadModel } from "../model/load_model.ts";
import { ropeApplyFor } from "../model/model.ts";
import type { RopeSpec } from "../strategies/types.ts";
import { decodeCheckpoint, encodeCheckpoint, writeAtomic } from "../train/checkpoint.ts";
import { llama2cSpec, MODEL_CONFIGS } from "../train/configs.ts";
import { DocumentStream } from "../train/data.ts";
import {
  CORPORA,
  type CorpusName,
  type DataSource,
  describeSource,
  sourceDocuments,
  sourceTokenizer,
} from "../train/data_source.ts";
import { initWeights } from "../train/init.ts";
import { checkLlama2cWritable, llama2cBytes } from "../train/llama2c_writer.ts";
import { lossChartSvg } from "../train/loss_chart.ts";
import type { TrainingTokenizer } from "../train/tokenizer_file.ts";
import { Trainer, type TrainOptions } from "../train/trainer.ts";
import {
  CliError,
  parseFlags,
  positiveInt,
  required,
  runCommand,
  STRATEGY_OPTIONS,
  STRATEGY_USAGE,
  tableFromFlags,
} from "./args.ts";

const USAGE = `Usage: deno task train --out model.bin [options]

  --out FILE             the llama2.c checkpoint to write; tok<vocab>.bin and loss.svg go beside it,
                         the training state to FILE.ckpt
  --config C             model size: ${Object.keys(MODEL_CONFIGS).join(" | ")} (default tiny)
  --steps N              train until step N (default 200)
  --seq N                tokens per window (default 256)
  --batch N              windows per micro-batch (default 4)
  --accum N              micro-batches per step: gradient accumulation (default 1)
  --lr X                 peak learning rate (default 3e-3); warm-up then cosine to lr/10
  --warmup N             warm-up steps (default steps/10, at most 100)
  --data FILE            train on a text file (documents separated by blank lines)
                         instead of a generated corpus
  --corpus C             generated corpus: facts (pets' names and magic numbers stated early,
                         asked for at the end) | stories (default stories)
  --filler A,B           filler sentences per generated document (default 0,14 facts; 2,20 stories)
  --first-doc N          start the data at document N (default 0)
  --tokenizer T          FILE: a llama2.c tokenizer.bin (e.g. tok512.bin); bpe:N: train an N-piece
                         BPE on the corpus (written beside --out); default: bytes
  --seed N               weights and story corpus seed (default 1)
  --checkpoint-every N   write FILE.ckpt every N steps (default 50)
  --no-doc-masks         let packed documents attend to each other (positions run on)
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

/** What a checkpoint records besides the trainer's state. */
interface RunMeta extends DataSource {
  /** L0 for the `.bin` header: the --init model's trained context (fine-tuning keeps it), else --seq. */
  context: number;
}

/** A flag of the form A,B with 0 ≤ A ≤ B integers. */
function rangeFlag(flag: string, raw: unknown, fallback: [number, number]): [number, number] {
  if (raw === undefined) return fallback;
  const m = typeof raw === "string" ? raw.match(/^(\d+),(\d+)$/) : null;
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new CliError(`${flag} must look like A,B with A ≤ B, got ${raw}`);
  }
  return [Number(m[1]), Number(m[2])];
}

function learningRateFlag(raw: unknown): number {
  if (raw === undefined) return 3e-3;
  const n = Number(raw);
  if (typeof raw !== "string" || !(n > 0) || !Number.isFinite(n)) {
    throw new CliError(`--lr must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The weights to start from: random of a named size, or a loaded model (--init) to fine-tune. */
async function startingPoint(
  values: Record<string, unknown>,
  meta: DataSource,
  tok: TrainingTokenizer,
  seqLen: number,
): Promise<{ weights: LlamaWeights; spec: RopeSpec }> {
  const init = values.init as string | undefined;
  if (init !== undefined) {
    if (meta.tokenizer === null || meta.tokenizer.startsWith("bpe:")) {
      throw new CliError("--init needs --tokenizer FILE (the model's tokenizer.bin, copied beside --out)");
    }
    const model = await loadModel(init, { tokenizer: meta.tokenizer, backend: new CpuBackend() });
    if (model.config.vocabSize !== tok.vocabSize) {
      throw new CliError(`${init} has ${model.config.vocabSize} ids, ${meta.tokenizer} ${tok.vocabSize}`);
    }
    checkLlama2cWritable(model.weights);
    // The output is a .bin, which loadModel reads with run.c's RoPE and ε = 1e-5: the model must match.
    const { theta, rotaryDim, pairing } = llama2cSpec(model.config.headDim, model.spec.originalContext);
    const s = model.spec;
    if (
      s.theta !== theta || s.rotaryDim !== rotaryDim || s.pairing !== pairing || model.config.normEps !== 1e-5
    ) {
      throw new CliError(`--init ${init}: its RoPE or norm ε differ from what a llama2.c .bin can record`);
    }
    return { weights: model.weights, spec: model.spec };
  }
  const name = (values.config as string | undefined) ?? "tiny";
  const size: LlamaConfig | undefined = MODEL_CONFIGS[name];
  if (!size) throw new CliError(`--config must be one of ${Object.keys(MODEL_CONFIGS).join(", ")}`);
  const config = { ...size, vocabSize: tok.vocabSize };
  return { weights: initWeights(config, { seed: meta.seed }), spec: llama2cSpec(config.headDim, seqLen) };
}

/** RoPE for windows of `seqLen` under the strategy flags in `values` (none: the model's own RoPE). */
async function ropeFor(values: Record<string, unknown>, spec: RopeSpec, seqLen: number): Promise<RopeApply> {
  return ropeApplyFor(spec, await tableFromFlags(values, spec, seqLen), seqLen).apply;
}

async function newTrainer(
  values: Record<string, unknown>,
  steps: number,
  src: DataSource,
  tok: TrainingTokenizer,
): Promise<{ trainer: Trainer; context: number }> {
  const seqLen = positiveInt("--seq", values.seq) ?? 256;
  const { weights, spec } = await startingPoint(values, src, tok, seqLen);
  const lr = learningRateFlag(values.lr);
  const warmup = positiveInt("--warmup", values.warmup) ?? Math.max(1, Math.min(100, Math.floor(steps / 10)));
  const options: TrainOptions = {
    seqLen,
    batchSize: positiveInt("--batch", values.batch) ?? 4,
    accumulation: positiveInt("--accum", values.accum) ?? 1,
    schedule: { peakLr: lr, warmupSteps: warmup, totalSteps: steps, minLr: lr / 10 },
    adamw: { weightDecay: 0.1, clipNorm: 1 },
    documentMasks: !values["no-doc-masks"],
  };
  let longRope: RopeApply | undefined;
  if (values.mixed) {
    const longSeq = longSeqFlag(values, seqLen);
    options.long = {
      seqLen: longSeq,
      windows: positiveInt("--long-windows", values["long-windows"]) ?? 1,
      shortRope: values["rescale-short"] ? "rescaled" : "original",
    };
    longRope = await ropeFor(values, spec, longSeq);
  } else if (
    values.strategy !== undefined || values.param !== undefined || values.target !== undefined ||
    values["rescale-short"] || values["long-filler"] !== undefined
  ) {
    throw new CliError(
      "--strategy, --param, --target, --long-filler and --rescale-short set the long windows: add --mixed",
    );
  }
  const { docAt, longDocAt } = await sourceDocuments(src, tok);
  const data = new DocumentStream(docAt);
  const longData = longDocAt && new DocumentStream(longDocAt);
  data.position = { doc: src.firstDoc ?? 0, offset: 0 };
  if (longData) longData.position = { doc: src.firstDoc ?? 0, offset: 0 };
  const trainer = new Trainer(weights, data, await ropeFor({}, spec, seqLen), options, longRope, longData);
  return { trainer, context: spec.originalContext };
}

function longSeqFlag(values: Record<string, unknown>, seqLen: number): number {
  return positiveInt("--long-seq", values["long-seq"]) ?? 4 * seqLen;
}

/** The options `deno task train` accepts (`deno task finetune` translates its own into these). */
export const TRAIN_OPTIONS = {
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
  resume: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The data flags as a {@linkcode DataSource}. */
function dataSource(values: Record<string, unknown>): DataSource {
  const corpus = (values.corpus as string | undefined) ?? "stories";
  if (!(CORPORA as readonly string[]).includes(corpus)) {
    throw new CliError(`--corpus must be one of ${CORPORA.join(", ")}, got ${corpus}`);
  }
  if (values.data !== undefined && values.corpus !== undefined) {
    throw new CliError("give --data or --corpus, not both");
  }
  const generatedLong = values.mixed && values.data === undefined;
  const seqLen = positiveInt("--seq", values.seq) ?? 256;
  const sentences = (tokens: number) => Math.max(1, Math.round(tokens / 12));
  return {
    data: (values.data as string | undefined) ?? null,
    corpus: corpus as CorpusName,
    seed: positiveInt("--seed", values.seed) ?? 1,
    filler: rangeFlag("--filler", values.filler, corpus === "facts" ? [0, 14] : [2, 20]),
    longFiller: generatedLong
      ? rangeFlag("--long-filler", values["long-filler"], [
        sentences(seqLen),
        sentences(longSeqFlag(values, seqLen)),
      ])
      : undefined,
    tokenizer: (values.tokenizer as string | undefined) ?? null,
    firstDoc: positiveInt("--first-doc", values["first-doc"]),
  };
}

/** 75 → "1m15s". */
function duration(seconds: number): string {
  const m = Math.floor(seconds / 60), sec = Math.round(seconds % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** Runs `deno task train` with parsed flags. */
export async function train(values: Record<string, unknown>, usage = USAGE): Promise<void> {
  if (values.help) return console.log(usage);
  const out = required(values, "out");
  const ckptPath = `${out}.ckpt`;
  const steps = positiveInt("--steps", values.steps) ?? 200;
  const every = positiveInt("--checkpoint-every", values["checkpoint-every"]) ?? 50;
  let meta: RunMeta, trainer: Trainer, tok: TrainingTokenizer;
  if (values.resume) {
    const ck = decodeCheckpoint(await Deno.readFile(ckptPath), ckptPath);
    meta = ck.header.meta as unknown as RunMeta;
    meta.corpus ??= "stories"; // checkpoints written before there was a choice
    meta.filler ??= [2, 20];
    tok = await sourceTokenizer(meta);
    const { docAt, longDocAt } = await sourceDocuments(meta, tok);
    trainer = Trainer.resume(ck, docAt, longDocAt);
    console.error(`resumed ${ckptPath} at step ${trainer.step}`);
  } else {
    const src = dataSource(values);
    tok = await sourceTokenizer(src);
    const started = await newTrainer(values, steps, src, tok);
    trainer = started.trainer;
    meta = { ...src, context: started.context };
  }
  await Deno.mkdir(dirname(out) || ".", { recursive: true });
  const save = () => writeAtomic(ckptPath, encodeCheckpoint(trainer.checkpoint({ ...meta })));
  const c = trainer.weights.config;
  const { batchSize, accumulation, seqLen, long } = trainer.opts;
  const longNote = long
    ? ` + ${long.windows * accumulation}×${long.seqLen} long (full attention, rescaled RoPE${
      long.shortRope === "rescaled" ? " also on the short windows" : ""
    })`
    : "";
  console.error(
    `training ${c.nLayers}×${c.dim} (${c.nHeads} heads, ${c.nKvHeads} kv, vocab ${c.vocabSize}) on ` +
      `${describeSource(meta)}, ${batchSize * accumulation}×${seqLen}${longNote} tokens per step`,
  );
  const started = performance.now(), firstStep = trainer.step;
  let tokens = 0;
  const logEvery = Math.max(1, Math.floor(steps / 50));
  while (trainer.step < steps) {
    const r = trainer.trainStep();
    tokens += r.tokens;
    const done = trainer.step;
    if (done % logEvery === 0 || done === steps) {
      const seconds = (performance.now() - started) / 1000, rate = tokens / seconds;
      const left = (seconds / (done - firstStep)) * (steps - done);
      const bar = "█".repeat(Math.round((done / steps) * 20)).padEnd(20, "·");
      console.error(
        `step ${done}/${steps} ${bar}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  ` +
          `|g| ${r.gradNorm.toFixed(3)}  ${rate.toFixed(0)} tok/s` +
          (done < steps ? `  eta ${duration(left)}` : ""),
      );
    }
    if (done % every === 0) await save();
  }
  await save();
  const dir = dirname(out);
  await writeAtomic(out, llama2cBytes(trainer.weights, meta.context));
  await writeAtomic(join(dir, `tok${tok.vocabSize}.bin`), tok.bin);
  await Deno.writeTextFile(join(dir, "loss.svg"), lossChartSvg(trainer.losses, `training loss: ${out}`));
  const seconds = (performance.now() - started) / 1000;
  console.error(
    `${trainer.step - firstStep} steps, ${tokens} tokens in ${seconds.toFixed(1)}s ` +
      `(${(tokens / Math.max(seconds, 1e-9)).toFixed(0)} tok/s); wrote ${out}, ${join(dir, "loss.svg")}`,
  );
}

if (import.meta.main) await runCommand(() => train(parseFlags(Deno.args, TRAIN_OPTIONS)));
