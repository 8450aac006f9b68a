/**
 * What `deno task train` and `deno task finetune` share: the flags both read (learning rate, corpus) and
 * what they print on stderr while a run trains — what is trained on what, a progress bar with loss,
 * learning rate, gradient norm, tokens/s and ETA, and a summary.
 *
 * @module
 */
import { CORPORA, type CorpusName, describeSource } from "../train/data_source.ts";
import { CliError } from "./args.ts";
import { checkpointPath, runTraining, type TrainingRun, type TrainingSummary } from "../train/run.ts";
import type { StepResult } from "../train/trainer.ts";

/** `--lr`: a positive number, if given. */
export function learningRateFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new CliError(`--lr must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** `--corpus`: one of the generated corpora, if given (and then not beside `--data`). */
export function corpusFlag(values: { corpus?: string; data?: string }): CorpusName | undefined {
  const corpus = values.corpus;
  if (corpus === undefined) return undefined;
  const name = CORPORA.find((c) => c === corpus);
  if (name === undefined) throw new CliError(`--corpus must be one of ${CORPORA.join(", ")}, got ${corpus}`);
  if (values.data !== undefined) throw new CliError("give --data or --corpus, not both");
  return name;
}

/**
 * The recall corpus's wording flags (`--paragraphs`, `--gap-words`) as data-source fields, refused with
 * any other corpus or a text file: `train` and `finetune` take them alike, so a fine-tune can read
 * documents written as its model's last training stage read them.
 */
export function recallWordingFlags(
  values: { paragraphs?: boolean; "gap-words"?: boolean; data?: string },
  corpus: CorpusName | undefined,
): { paragraphs?: true; gapWords?: true } {
  recallOnly(values, corpus, "paragraphs", "gap-words");
  return { paragraphs: values.paragraphs || undefined, gapWords: values["gap-words"] || undefined };
}

/** Refuses each of `flags` that is given (not undefined or false) unless the data is the generated recall corpus. */
export function recallOnly<K extends string>(
  values: { [flag in K]?: unknown } & { data?: string },
  corpus: CorpusName | undefined,
  ...flags: K[]
): void {
  for (const flag of flags) {
    const given = values[flag] !== undefined && values[flag] !== false;
    if (given && (corpus !== "recall" || values.data !== undefined)) {
      throw new CliError(`--${flag} applies to the generated recall corpus (--corpus recall) only`);
    }
  }
}

/** 75 → "1m15s". */
function duration(seconds: number): string {
  const m = Math.floor(seconds / 60), sec = Math.round(seconds % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** The line that says what a run trains, on what data, with how many tokens per step. */
export function describeRun(run: TrainingRun): string {
  const c = run.trainer.weights.config;
  const { batchSize, accumulation, seqLen, long } = run.trainer.opts;
  const longNote = long
    ? ` + ${long.windows * accumulation}×${long.seqLen} long (full attention, rescaled RoPE${
      long.shortRope === "rescaled" ? " also on the short windows" : ""
    })`
    : "";
  return `training ${c.nLayers}×${c.dim} (${c.nHeads} heads, ${c.nKvHeads} kv, vocab ${c.vocabSize}) on ` +
    `${describeSource(run.meta)}, ${batchSize * accumulation}×${seqLen}${longNote} tokens per step`;
}

/** An `onStep` callback printing about 50 progress lines over a run to `steps`. */
export function progressPrinter(run: TrainingRun, steps: number): (r: StepResult) => void {
  const started = performance.now(), firstStep = run.trainer.step;
  const logEvery = Math.max(1, Math.floor(steps / 50));
  let tokens = 0;
  return (r) => {
    tokens += r.tokens;
    const done = run.trainer.step;
    if (done % logEvery !== 0 && done !== steps) return;
    const seconds = (performance.now() - started) / 1000, rate = tokens / seconds;
    const left = (seconds / (done - firstStep)) * (steps - done);
    const bar = "█".repeat(Math.round((done / steps) * 20)).padEnd(20, "·");
    console.error(
      `step ${done}/${steps} ${bar}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  ` +
        `|g| ${r.gradNorm.toFixed(3)}  ${rate.toFixed(0)} tok/s` +
        (done < steps ? `  eta ${duration(left)}` : ""),
    );
  };
}

/** The closing line: steps, tokens, speed and what was written. */
export function summaryLine(s: TrainingSummary): string {
  return `${s.steps} steps, ${s.tokens} tokens in ${s.seconds.toFixed(1)}s ` +
    `(${
      (s.tokens / Math.max(s.seconds, 1e-9)).toFixed(0)
    } tok/s); wrote ${s.files.model}, ${s.files.lossChart}`;
}

/** The line printed when a run is resumed. */
export const resumedLine = (run: TrainingRun) =>
  `resumed ${checkpointPath(run.out)} at step ${run.trainer.step}`;

/** Trains `run` to `steps` with progress on stderr (the common tail of `train` and `finetune`). */
export async function trainWithProgress(
  run: TrainingRun,
  steps: number,
  checkpointEvery?: number,
): Promise<void> {
  console.error(describeRun(run));
  const summary = await runTraining(run, { steps, checkpointEvery, onStep: progressPrinter(run, steps) });
  console.error(summaryLine(summary));
}
