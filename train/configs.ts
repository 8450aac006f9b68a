/**
 * Model sizes `deno task train --config` knows, and the RoPE spec a llama2.c `.bin` is loaded with (so
 * a model is trained with exactly the RoPE `loadModel` will later give it).
 *
 * @module
 */
import type { LlamaConfig } from "../model/config.ts";
import type { RopeSpec } from "../strategies/types.ts";
import { BYTE_VOCAB_SIZE } from "./byte_tokenizer.ts";

function config(dim: number, nLayers: number, nHeads: number, nKvHeads: number): LlamaConfig {
  return {
    architecture: "llama2c",
    dim,
    // llama2.c's rule: 2/3 of 4·dim, rounded up to a multiple of 32.
    hiddenDim: Math.ceil((8 * dim) / 3 / 32) * 32,
    nLayers,
    nHeads,
    nKvHeads,
    headDim: dim / nHeads,
    vocabSize: BYTE_VOCAB_SIZE,
    normEps: 1e-5,
    bosId: 1,
    eosId: 2,
  };
}

/**
 * Named sizes: tiny trains in minutes on a CPU, small and default in under an hour. `default` is the
 * size of ropekit's default model (models/ropekit-facts-1M): head_dim 32, so RoPE has 16 frequency
 * pairs (stories260K has 4), and GQA with 2 KV heads.
 */
export const MODEL_CONFIGS: Record<string, LlamaConfig> = {
  tiny: config(64, 2, 4, 2),
  small: config(128, 4, 8, 4),
  default: config(128, 4, 4, 2),
  // head_dim 64 (32 RoPE pairs, so LongRoPE2's critical index has many candidates), 2 heads, no GQA:
  // models/recall-needle's size, trainable on one CPU core in about an hour.
  needle: config(128, 3, 2, 2),
};

/**
 * The RoPE spec `loadModel` gives a llama2.c `.bin` whose header says `seqLen` (run.c's RoPE: θ = 10000,
 * every channel rotated, interleaved pairs); a model trained from scratch uses it from the start.
 */
export function llama2cSpec(headDim: number, seqLen: number): RopeSpec {
  return {
    theta: 10000,
    headDim,
    rotaryDim: headDim,
    originalContext: seqLen,
    maxPositions: seqLen,
    pairing: "interleaved",
  };
}
