/**
 * LongRoPE2's mixed context window fine-tuning as a training run: short windows of the model's own
 * context L0 (original RoPE, per-document masks), long windows of the target length under the rescaled
 * RoPE, generated long-range documents past the drill curriculum. {@linkcode finetuneRunOptions} turns
 * what a user names (model, target, strategy table) into the {@linkcode TrainRunOptions} of the run.
 *
 * @module
 */
import { findLlama2cTokenizer, llama2cTokenizerCandidates } from "../model/load_model.ts";
import { LLAMA2C_HEADER_BYTES, parseLlama2cHeader } from "../model/llama2c_checkpoint.ts";
import type { RopeSpec, RopeTable } from "../strategies/types.ts";
import { type CorpusName, defaultFiller } from "./data_source.ts";
import { type TrainRunOptions, TrainSetupError } from "./run.ts";

/**
 * Where a fine-tune's generated documents start: past the facts corpus's drill curriculum, and documents
 * a model trained from scratch on the same seed for under ~15M tokens has not seen.
 */
export const FINETUNE_FIRST_DOC = 100_000;

/** Default peak learning rate of a fine-tune. */
export const FINETUNE_LR = 5e-4;

/** The model's trained context (read from the header, without loading the weights) and its tokenizer. */
export async function llama2cModelFacts(model: string): Promise<{ context: number; tokenizer: string }> {
  const head = new Uint8Array(LLAMA2C_HEADER_BYTES);
  const f = await Deno.open(model);
  try {
    await f.read(head);
  } finally {
    f.close();
  }
  const h = parseLlama2cHeader(head, model);
  const vocab = Math.abs(h[5]);
  const tokenizer = await findLlama2cTokenizer(model, vocab);
  if (tokenizer !== undefined) return { context: h[6], tokenizer };
  throw new TrainSetupError(
    `${model}: no tokenizer found (looked for ${
      llama2cTokenizerCandidates(model, vocab).join(", ")
    }); pass --tokenizer FILE`,
  );
}

/** What a fine-tune is asked for. */
export interface FinetuneRequest {
  out: string;
  /** The llama2.c `.bin` to fine-tune. */
  model: string;
  /** Its tokenizer (default: found beside the model as `loadModel` finds it). */
  tokenizer?: string;
  /** The length to extend to: the long windows' length. */
  target: number;
  /** The long windows' table (the strategy, resolved by the caller). */
  table: (spec: RopeSpec, seqLen: number) => Promise<RopeTable>;
  /** false: the ablation without mixing (every window under the rescaled RoPE). Default true. */
  mixed?: boolean;
  steps?: number;
  batchSize?: number;
  longWindows?: number;
  accumulation?: number;
  lr?: number;
  /** A text file to train on instead of the generated corpus. */
  data?: string;
  corpus?: CorpusName;
  seed?: number;
  /** Recall corpus: bodies in paragraphs (train/data_source.ts). */
  paragraphs?: boolean;
  /** Recall corpus: gap-word questions (train/data_source.ts). */
  gapWords?: boolean;
}

/** The training run a fine-tune is. */
export async function finetuneRunOptions(r: FinetuneRequest): Promise<TrainRunOptions> {
  const facts = await llama2cModelFacts(r.model);
  const l0 = facts.context;
  if (r.target <= l0) throw new TrainSetupError(`--target ${r.target} must exceed the model's context ${l0}`);
  const generated = r.data === undefined;
  const longSeq = r.target;
  const sentences = (tokens: number) => Math.max(1, Math.round(tokens / 12));
  // A text file stands in for the generated corpus; the corpus fields then only describe the run.
  const corpus = generated ? r.corpus ?? "facts" : "stories";
  return {
    out: r.out,
    model: { init: r.model },
    data: {
      data: r.data ?? null,
      corpus,
      seed: r.seed ?? 1,
      filler: defaultFiller(corpus),
      // Long generated documents span L0 … the long window.
      longFiller: generated ? [sentences(l0), sentences(longSeq)] : undefined,
      tokenizer: r.tokenizer ?? facts.tokenizer,
      firstDoc: generated ? FINETUNE_FIRST_DOC : undefined,
      paragraphs: r.paragraphs || undefined,
      gapWords: r.gapWords || undefined,
    },
    steps: r.steps ?? 100,
    seqLen: l0,
    batchSize: r.batchSize,
    accumulation: r.accumulation,
    lr: r.lr ?? FINETUNE_LR,
    long: {
      seqLen: longSeq,
      windows: r.longWindows ?? 1,
      shortRope: r.mixed === false ? "rescaled" : "original",
      table: r.table,
    },
  };
}
