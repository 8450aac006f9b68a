/**
 * The training use case: start a run (from random weights or a model to fine-tune), resume it from its
 * checkpoint, train it to a step with periodic checkpoints, and write its artifacts (llama2.c `.bin`,
 * tokenizer, loss chart). `deno task train` and `deno task finetune` are thin fronts over it.
 *
 * @example
 * ```ts
 * import { runTraining, startTraining } from "./run.ts";
 * const run = await startTraining({ out: "runs/tiny/model.bin", model: { config: "tiny" }, steps: 20 });
 * await runTraining(run, { steps: 20 });
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { RopeApply } from "../kernels/rope_apply.ts";
import type { LlamaConfig, LlamaWeights } from "../model/config.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { loadModel } from "../model/load_model.ts";
import { ropeApplyFor } from "../model/model.ts";
import { denseWeights } from "../model/quant_matrix.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import type { RopeSpec, RopeTable } from "../strategies/types.ts";
import { decodeCheckpoint, encodeCheckpoint, writeAtomic } from "./checkpoint.ts";
import { llama2cSpec, MODEL_CONFIGS } from "./configs.ts";
import { DocumentStream } from "./data.ts";
import { type DataSource, sourceDocuments, sourceTokenizer, streamOptions } from "./data_source.ts";
import { initWeights } from "./init.ts";
import { checkLlama2cWritable, llama2cBytes } from "./llama2c_writer.ts";
import { lossChartSvg } from "./loss_chart.ts";
import type { TrainOptions } from "./options.ts";
import type { TrainingTokenizer } from "./tokenizer_file.ts";
import { type StepResult, Trainer } from "./trainer.ts";
import { TrainSetupError } from "./train_setup_error.ts";

export { TrainSetupError } from "./train_setup_error.ts";

/** Where a run's weights come from: a named size with random weights, or a llama2.c model to fine-tune. */
export type StartingWeights = { config: string } | { init: string };

/** The rescaled RoPE of the long windows (LongRoPE2's mixed context window training). */
export interface LongWindows {
  /** Tokens per long window. */
  seqLen: number;
  /** Long windows per micro-batch. */
  windows: number;
  /** "rescaled": the ablation without mixing — the short windows take the long windows' RoPE too. */
  shortRope: "original" | "rescaled";
  /** The long windows' table for the model's spec at `seqLen` (the strategy, resolved by the caller). */
  table: (spec: RopeSpec, seqLen: number) => Promise<RopeTable>;
}

/** Everything a new run needs; every field but `out`, `model` and `data` has a default. */
export interface TrainRunOptions {
  /** The llama2.c checkpoint to write; tok<vocab>.bin and loss.svg go beside it, the run state to `out.ckpt`. */
  out: string;
  model: StartingWeights;
  data: DataSource;
  /** The step the run trains to (sets the learning-rate schedule's length). */
  steps: number;
  seqLen?: number;
  batchSize?: number;
  accumulation?: number;
  /** Peak learning rate (warm-up, then cosine to a tenth of it). */
  lr?: number;
  warmup?: number;
  documentMasks?: boolean;
  long?: LongWindows;
}

/** A run ready to train: the trainer and what its checkpoints and artifacts record. */
export interface TrainingRun {
  out: string;
  trainer: Trainer;
  tokenizer: TrainingTokenizer;
  /** Stored in every checkpoint: the data source and the L0 the `.bin` header records. */
  meta: RunMeta;
}

/** What a checkpoint records besides the trainer's state. */
export interface RunMeta extends DataSource {
  /** L0 for the `.bin` header: the fine-tuned model's trained context (fine-tuning keeps it), else the window. */
  context: number;
}

/** The checkpoint path of a run writing `out`. */
export const checkpointPath = (out: string) => `${out}.ckpt`;

/** Default learning rate of a run (fine-tuning passes its own). */
export const DEFAULT_LR = 3e-3;

/** The weights to start from: random of a named size, or a loaded model to fine-tune. */
async function startingWeights(
  model: StartingWeights,
  meta: DataSource,
  tok: TrainingTokenizer,
  seqLen: number,
): Promise<{ weights: LlamaWeights; spec: RopeSpec }> {
  if ("init" in model) {
    const init = model.init;
    if (meta.tokenizer === null || meta.tokenizer.startsWith("bpe:")) {
      throw new TrainSetupError(
        "--init needs --tokenizer FILE (the model's tokenizer.bin, copied beside --out)",
      );
    }
    const loaded = await loadModel(init, { tokenizer: meta.tokenizer, backend: new CpuBackend() });
    if (loaded.config.vocabSize !== tok.vocabSize) {
      throw new TrainSetupError(
        `${init} has ${loaded.config.vocabSize} ids, ${meta.tokenizer} ${tok.vocabSize}`,
      );
    }
    const weights = denseWeights(loaded.weights); // training updates f32 values
    checkLlama2cWritable(weights);
    // The output is a .bin, which loadModel reads with run.c's RoPE and ε = 1e-5: the model must match.
    const { theta, rotaryDim, pairing } = llama2cSpec(loaded.config.headDim, loaded.spec.originalContext);
    const s = loaded.spec;
    if (
      s.theta !== theta || s.rotaryDim !== rotaryDim || s.pairing !== pairing ||
      loaded.config.normEps !== 1e-5
    ) {
      throw new TrainSetupError(
        `--init ${init}: its RoPE or norm ε differ from what a llama2.c .bin can record`,
      );
    }
    return { weights, spec: loaded.spec };
  }
  const size: LlamaConfig | undefined = MODEL_CONFIGS[model.config];
  if (!size) throw new TrainSetupError(`--config must be one of ${Object.keys(MODEL_CONFIGS).join(", ")}`);
  const config = { ...size, vocabSize: tok.vocabSize };
  return { weights: initWeights(config, { seed: meta.seed }), spec: llama2cSpec(config.headDim, seqLen) };
}

/** The RoPE a window of `seqLen` tokens takes under `table`. */
function ropeFor(spec: RopeSpec, table: RopeTable, seqLen: number): RopeApply {
  return ropeApplyFor(spec, table, seqLen).apply;
}

/** The model's own RoPE (the `default` strategy's table) for windows of `seqLen`. */
async function originalRope(spec: RopeSpec, seqLen: number): Promise<RopeApply> {
  const table = await buildTable(
    builtinRegistry().get("default"),
    spec,
    { targetLength: seqLen, seqLen },
    {},
  );
  return ropeFor(spec, table, seqLen);
}

/** A new run: weights, data streams positioned at `data.firstDoc`, and the options its checkpoints store. */
export async function startTraining(o: TrainRunOptions): Promise<TrainingRun> {
  const tok = await sourceTokenizer(o.data);
  const seqLen = o.seqLen ?? 256;
  const { weights, spec } = await startingWeights(o.model, o.data, tok, seqLen);
  const lr = o.lr ?? DEFAULT_LR;
  const warmup = o.warmup ?? Math.max(1, Math.min(100, Math.floor(o.steps / 10)));
  const options: TrainOptions = {
    seqLen,
    batchSize: o.batchSize ?? 4,
    accumulation: o.accumulation ?? 1,
    schedule: { peakLr: lr, warmupSteps: warmup, totalSteps: o.steps, minLr: lr / 10 },
    adamw: { weightDecay: 0.1, clipNorm: 1 },
    documentMasks: o.documentMasks ?? true,
  };
  let longRope: RopeApply | undefined;
  if (o.long) {
    options.long = { seqLen: o.long.seqLen, windows: o.long.windows, shortRope: o.long.shortRope };
    longRope = ropeFor(spec, await o.long.table(spec, o.long.seqLen), o.long.seqLen);
  }
  const { docAt, longDocAt } = await sourceDocuments(o.data, tok);
  const data = new DocumentStream(docAt, streamOptions(o.data));
  const longData = longDocAt && new DocumentStream(longDocAt);
  data.position = { doc: o.data.firstDoc ?? 0, offset: 0 };
  if (longData) longData.position = { doc: o.data.firstDoc ?? 0, offset: 0 };
  const trainer = new Trainer(weights, data, await originalRope(spec, seqLen), options, longRope, longData);
  return { out: o.out, trainer, tokenizer: tok, meta: { ...o.data, context: spec.originalContext } };
}

/** The run that writes `out`, rebuilt from its checkpoint over the same documents. */
export async function resumeTraining(out: string): Promise<TrainingRun> {
  const path = checkpointPath(out);
  const ck = decodeCheckpoint(await Deno.readFile(path), path);
  const meta = ck.header.meta as unknown as RunMeta;
  meta.corpus ??= "stories"; // checkpoints written before there was a choice
  meta.filler ??= [2, 20];
  const tok = await sourceTokenizer(meta);
  const { docAt, longDocAt } = await sourceDocuments(meta, tok);
  return { out, trainer: Trainer.resume(ck, docAt, longDocAt, streamOptions(meta)), tokenizer: tok, meta };
}

/** How {@linkcode runTraining} trains and reports. */
export interface RunTrainingOptions {
  /** Train until this step. */
  steps: number;
  /** Write the checkpoint every N steps (default 50) and at the end. */
  checkpointEvery?: number;
  /** Called after every step. */
  onStep?: (r: StepResult, run: TrainingRun) => void;
}

/** What a finished call wrote and how fast it ran. */
export interface TrainingSummary {
  steps: number;
  tokens: number;
  seconds: number;
  /** Paths written: the `.bin`, its tokenizer, the loss chart. */
  files: { model: string; tokenizer: string; lossChart: string };
}

/** Trains `run` to `o.steps`, checkpointing as it goes, then writes the model, tokenizer and loss chart. */
export async function runTraining(run: TrainingRun, o: RunTrainingOptions): Promise<TrainingSummary> {
  const { trainer, meta, out } = run;
  const every = o.checkpointEvery ?? 50;
  await Deno.mkdir(dirname(out) || ".", { recursive: true });
  const save = () => writeAtomic(checkpointPath(out), encodeCheckpoint(trainer.checkpoint({ ...meta })));
  const started = performance.now(), firstStep = trainer.step;
  let tokens = 0;
  let savedAt = -1;
  while (trainer.step < o.steps) {
    const r = trainer.trainStep();
    tokens += r.tokens;
    o.onStep?.(r, run);
    if (trainer.step % every === 0) await save(), savedAt = trainer.step;
  }
  if (savedAt !== trainer.step) await save(); // the final state, unless the loop just wrote it
  const dir = dirname(out);
  const files = {
    model: out,
    tokenizer: join(dir, `tok${run.tokenizer.vocabSize}.bin`),
    lossChart: join(dir, "loss.svg"),
  };
  await writeAtomic(files.model, llama2cBytes(trainer.weights, meta.context));
  await writeAtomic(files.tokenizer, run.tokenizer.bin);
  await Deno.writeTextFile(files.lossChart, lossChartSvg(trainer.losses, `training loss: ${out}`));
  return { steps: trainer.step - firstStep, tokens, seconds: (performance.now() - started) / 1000, files };
}
