/**
 * Shapes and weights of a llama-family decoder, whatever file they came from. Every loader
 * (llama2.c, GGUF, Hugging Face) produces a {@linkcode LlamaWeights}; the forward pass reads only this.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";
import type { BlockShape } from "./architecture.ts";
import type { EncodedMatrix } from "../kernels/cpu/matmul_encoded.ts";

/** A weight matrix: f32, or kept in its file's encoding (GGUF f16/bf16/Q8_0/Q4_K/…: model/quant_matrix.ts). */
export type WeightMatrix = Float32Array | EncodedMatrix;

/** Architecture hyper-parameters. */
export interface LlamaConfig {
  /** Where the config came from ("llama", "qwen2", "phi3", ... for GGUF/HF; "llama2c" for .bin). */
  architecture: string;
  /** Hidden size. */
  dim: number;
  /** SwiGLU inner size. */
  hiddenDim: number;
  /** Transformer blocks. */
  nLayers: number;
  /** Query heads per block. */
  nHeads: number;
  /** Key/value heads per block (fewer than nHeads under grouped-query attention). */
  nKvHeads: number;
  /** Channels per attention head. */
  headDim: number;
  /** Rows of the embedding and the classifier. */
  vocabSize: number;
  /** RMSNorm epsilon. */
  normEps: number;
  /** Special token ids the tokenizer and generation use. */
  bosId: number;
  /** The end-of-sequence id: generation stops at it. */
  eosId: number;
  /** What the architecture changes in the llama block (norm placement, q/k norms, ...); absent = llama. */
  block?: BlockShape;
}

/**
 * One transformer block. Matrices are row-major [out][in] (y = W x), f32 unless `M` admits encoded
 * matrices (a GGUF file's, see {@linkcode WeightMatrix}); vectors are always f32.
 */
export interface LayerWeights<M extends WeightMatrix = Float32Array> {
  /** RMSNorm weight before attention [dim]. */
  attnNorm: Float32Array;
  /** Query projection [nHeads·headDim][dim]. */
  wq: M;
  /** Key projection [nKvHeads·headDim][dim]. */
  wk: M;
  /** Value projection [nKvHeads·headDim][dim]. */
  wv: M;
  /** Attention output projection [dim][nHeads·headDim]. */
  wo: M;
  /** Qwen2-style projection biases; absent for Llama. */
  bq?: Float32Array;
  /** Key projection bias [nKvHeads·headDim]. */
  bk?: Float32Array;
  /** Value projection bias [nKvHeads·headDim]. */
  bv?: Float32Array;
  /** RMSNorm weight before the MLP [dim]. */
  ffnNorm: Float32Array;
  /** SwiGLU gate (llama2.c w1). */
  wGate: M;
  /** SwiGLU up (llama2.c w3). */
  wUp: M;
  /** SwiGLU down (llama2.c w2). */
  wDown: M;
  /** q and k RMSNorm weights: [headDim] (per-head norm) or [nHeads·headDim] / [nKvHeads·headDim]. */
  qNorm?: Float32Array;
  /** The k RMSNorm weight (shaped as `qNorm`). */
  kNorm?: Float32Array;
  /** Output norms of the attention and MLP sublayers when the block has both pre and post norms [dim]. */
  postAttnNorm?: Float32Array;
  /** Output norm of the MLP sublayer [dim]. */
  postFfnNorm?: Float32Array;
}

/** A whole model's weights (matrices of type `M`, as {@linkcode LayerWeights}). */
export interface LlamaWeights<M extends WeightMatrix = Float32Array> {
  /** Shapes and special ids. */
  config: LlamaConfig;
  /** [vocab][dim]. */
  embedding: M;
  /** One entry per block, in order. */
  layers: LayerWeights<M>[];
  /** RMSNorm weight before the classifier [dim]. */
  finalNorm: Float32Array;
  /** [vocab][dim]; the same array as `embedding` when the classifier is tied. */
  classifier: M;
}

/** Weights as a loader returns them: matrices f32 or encoded. */
export type ModelWeights = LlamaWeights<WeightMatrix>;

/** Thrown for files that cannot be read as a model; the message names the file and what is wrong. */
export class ModelFormatError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "ModelFormatError";
}

/** Checks that every array has the length its shape requires; names the first that does not. */
export function checkWeightShapes(w: ModelWeights, source: string): void {
  const c = w.config;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const want = (name: string, a: WeightMatrix | undefined, n: number) => {
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
