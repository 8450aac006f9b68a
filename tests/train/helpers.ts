/** A tiny run over the story corpus shared by the training tests. @module */
import type { RopeApply } from "../../kernels/rope_apply.ts";
import type { LlamaConfig } from "../../model/config.ts";
import { BYTE_VOCAB_SIZE, byteTokenizer } from "../../train/byte_tokenizer.ts";
import { DocumentStream, tokenizedDocuments } from "../../train/data.ts";
import { initWeights } from "../../train/init.ts";
import { story } from "../../train/story_corpus.ts";
import type { TrainOptions } from "../../train/options.ts";
import { Trainer } from "../../train/trainer.ts";

export const tinyConfig: LlamaConfig = {
  architecture: "llama2c",
  dim: 16,
  hiddenDim: 32,
  nLayers: 2,
  nHeads: 2,
  nKvHeads: 1,
  headDim: 8,
  vocabSize: BYTE_VOCAB_SIZE,
  normEps: 1e-5,
  bosId: 1,
  eosId: 2,
};

export const tinyRope: RopeApply = {
  rotaryDim: 8,
  invFreq: Float32Array.from({ length: 4 }, (_, i) => 10000 ** (-i / 4)),
  scale: 1,
  pairing: "interleaved",
};

export const tinyOptions: TrainOptions = {
  seqLen: 24,
  batchSize: 2,
  accumulation: 2,
  schedule: { peakLr: 3e-3, warmupSteps: 2, totalSteps: 8, minLr: 3e-4 },
  adamw: { weightDecay: 0.1, clipNorm: 1 },
  documentMasks: true,
};

export const storyDocs = tokenizedDocuments((i) => story(7, i), byteTokenizer());

/** A rescaled RoPE for the long windows of mixed runs (PI-like: frequencies / 4, with a scale). */
export const tinyLongRope: RopeApply = {
  ...tinyRope,
  invFreq: tinyRope.invFreq.map((f) => f / 4),
  scale: 1.1,
};

/** Long documents for the long windows of mixed runs (longer stories of another seed). */
export const longStoryDocs = tokenizedDocuments(
  (i) => story(8, i, { minFiller: 10, maxFiller: 12 }),
  byteTokenizer(),
);

/**
 * A tiny run; `mixed` adds one long window of 40 tokens per micro-batch under {@linkcode tinyLongRope},
 * drawn from {@linkcode longStoryDocs} with `longStream` (else from the short documents' stream).
 */
export function tinyTrainer(mixed = false, longStream = false): Trainer {
  const weights = initWeights(tinyConfig, { seed: 1 });
  const data = new DocumentStream(storyDocs);
  if (!mixed) return new Trainer(weights, data, tinyRope, tinyOptions);
  return new Trainer(
    weights,
    data,
    tinyRope,
    { ...tinyOptions, long: { seqLen: 40, windows: 1 } },
    tinyLongRope,
    longStream ? new DocumentStream(longStoryDocs) : undefined,
  );
}
