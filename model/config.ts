/**
 * Shapes and weights of a llama-family decoder, whatever file they came from. Every loader
 * (llama2.c, GGUF, Hugging Face) produces a {@linkcode LlamaWeights}; the forward pass reads only this.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";
import type { BlockShape } from "./architecture.ts";

/** Architecture hyper-parameters. */
export interface LlamaConfig {
  /** Where the config came from ("llama", "qwen2", "phi3", ... for GGUF/HF; "llama2c" for .bin). */
  architecture: string;
  /** Hidden size. */
  dim: number;
  /** SwiGLU inner size. */
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  vocabSize: number;
  /** RMSNorm epsilon. */
  normEps: number;
  /** Special token ids the tokenizer and generation use. */
  bosId: number;
  eosId: number;
  /** What the architecture changes in the llama block (norm placement, q/k norms, ...); absent = llama. */
  block?: BlockShape;
}

/** One transformer block. Matrices are row-major [out][in] (y = W x), f32. */
export interface LayerWeights {
  attnNorm: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  /** Qwen2-style projection biases; absent for Llama. */
  bq?: Float32Array;
  bk?: Float32Array;
  bv?: Float32Array;
  ffnNorm: Float32Array;
  /** SwiGLU gate (llama2.c w1). */
  wGate: Float32Array;
  /** SwiGLU up (llama2.c w3). */
  wUp: Float32Array;
  /** SwiGLU down (llama2.c w2). */
  wDown: Float32Array;
  /** q and k RMSNorm weights: [headDim] (per-head norm) or [nHeads·headDim] / [nKvHeads·headDim]. */
  qNorm?: Float32Array;
  kNorm?: Float32Array;
  /** Output norms of the attention and MLP sublayers when the block has both pre and post norms [dim]. */
  postAttnNorm?: Float32Array;
  postFfnNorm?: Float32Array;
}

/** A whole model's weights. */
export interface LlamaWeights {
  config: LlamaConfig;
  /** [vocab][dim]. */
  embedding: Float32Array;
  layers: LayerWeights[];
  finalNorm: Float32Array;
  /** [vocab][dim]; the same array as `embedding` when the classifier is tied. */
  classifier: Float32Array;
}

/** Thrown for files that cannot be read as a model; the message names the file and what is wrong. */
export class ModelFormatError extends RopekitError {
  override name = "ModelFormatError";
}

/** Checks that every array has the length its shape requires; names the first that does not. */
export function checkWeightShapes(w: LlamaWeights, source: string): void {
  const c = w.config;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const want = (name: string, a: Float32Array | undefined, n: number) => {
    if (a === undefined) throw new ModelFormatError(`${source}: missing tensor ${name}`);
    if (a.length !== n) {
      throw new ModelFormatError(`${source}: tensor ${name} has ${a.length} values, expected ${n}`);
    }
  };
  if (c.nHeads % c.nKvHeads !== 0) {
    throw new ModelFormatError(
      `${source}: n_heads ${c.nHeads} is not a multiple of n_kv_heads ${c.nKvHeads}`,
    );
  }
  want("embedding", w.embedding, c.vocabSize * c.dim);
  want("final norm", w.finalNorm, c.dim);
  want("classifier", w.classifier, c.vocabSize * c.dim);
  if (w.layers.length !== c.nLayers) {
    throw new ModelFormatError(`${source}: ${w.layers.length} layers found, expected ${c.nLayers}`);
  }
  w.layers.forEach((l, i) => {
    want(`layer ${i} attn_norm`, l.attnNorm, c.dim);
    want(`layer ${i} q`, l.wq, qDim * c.dim);
    want(`layer ${i} k`, l.wk, kvDim * c.dim);
    want(`layer ${i} v`, l.wv, kvDim * c.dim);
    want(`layer ${i} o`, l.wo, c.dim * qDim);
    if (l.bq) want(`layer ${i} q bias`, l.bq, qDim);
    if (l.bk) want(`layer ${i} k bias`, l.bk, kvDim);
    if (l.bv) want(`layer ${i} v bias`, l.bv, kvDim);
    want(`layer ${i} ffn_norm`, l.ffnNorm, c.dim);
    want(`layer ${i} gate`, l.wGate, c.hiddenDim * c.dim);
    want(`layer ${i} up`, l.wUp, c.hiddenDim * c.dim);
    want(`layer ${i} down`, l.wDown, c.dim * c.hiddenDim);
    const b = c.block ?? {};
    if (b.qkNorm) {
      const perHead = b.qkNorm === "head";
      want(`layer ${i} q_norm`, l.qNorm, perHead ? c.headDim : qDim);
      want(`layer ${i} k_norm`, l.kNorm, perHead ? c.headDim : kvDim);
    }
    if (b.norms === "pre+post") {
      want(`layer ${i} post-attention norm`, l.postAttnNorm, c.dim);
      want(`layer ${i} post-MLP norm`, l.postFfnNorm, c.dim);
    }
  });
}
