/**
 * llama2.c checkpoints (`run.c`'s "version 0" format): a header of 7 little-endian int32
 * (`dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len`) then float32 arrays.
 * A negative vocab_size means the classifier is stored after the weights instead of being tied.
 *
 * @module
 */
import { checkWeightShapes, type LlamaConfig, type LlamaWeights, ModelFormatError } from "./config.ts";

const HEADER_BYTES = 28;

/** A parsed checkpoint: weights plus the trained context the header records. */
export interface Llama2cCheckpoint {
  weights: LlamaWeights;
  /** Header `seq_len`: the context the model was trained at. */
  seqLen: number;
}

/** Bytes of the header: read these to learn a model's shape and context without loading it. */
export const LLAMA2C_HEADER_BYTES = HEADER_BYTES;

/** The 7 header ints of a llama2.c checkpoint, checked for plausibility (`source` names the file in errors). */
export function parseLlama2cHeader(bytes: Uint8Array, source: string): number[] {
  if (bytes.byteLength < HEADER_BYTES) {
    throw new ModelFormatError(`${source}: ${bytes.byteLength} bytes is too short for a llama2.c header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true));
  const [dim, , , nHeads, , rawVocab] = h;
  if (h.some((v, i) => i !== 5 && v <= 0) || rawVocab === 0 || dim % nHeads !== 0) {
    throw new ModelFormatError(`${source}: implausible llama2.c header [${h.join(", ")}]`);
  }
  return h;
}

/** Parses the bytes of a llama2.c checkpoint; `source` names the file in errors. */
export function parseLlama2cCheckpoint(bytes: Uint8Array, source: string): Llama2cCheckpoint {
  const h = parseLlama2cHeader(bytes, source);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = h;
  const vocabSize = Math.abs(rawVocab);
  const headDim = dim / nHeads;
  const kvDim = nKvHeads * headDim;
  const config: LlamaConfig = {
    architecture: "llama2c",
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    vocabSize,
    normEps: 1e-5,
    bosId: 1,
    eosId: 2,
  };
  const floats = (bytes.byteLength - HEADER_BYTES) >> 2;
  const legacyRope = seqLen * headDim; // freq_cis_real + freq_cis_imag, seq_len × hd/2 each
  const expected = vocabSize * dim +
    nLayers * (2 * dim + 2 * dim * dim + 2 * dim * kvDim + 3 * dim * hiddenDim) +
    dim + legacyRope + (rawVocab < 0 ? vocabSize * dim : 0);
  if (floats !== expected) {
    throw new ModelFormatError(
      `${source}: ${floats} floats after the header, expected ${expected} for header [${h.join(", ")}]`,
    );
  }
  // Copy once so the weights are 4-byte aligned whatever the input buffer's offset.
  const all = new Float32Array(bytes.slice(HEADER_BYTES, HEADER_BYTES + floats * 4).buffer);
  let off = 0;
  const take = (n: number) => all.subarray(off, off += n);
  const perLayer = (n: number) => Array.from({ length: nLayers }, () => take(n));
  const embedding = take(vocabSize * dim);
  const attnNorm = perLayer(dim);
  const wq = perLayer(dim * dim);
  const wk = perLayer(kvDim * dim);
  const wv = perLayer(kvDim * dim);
  const wo = perLayer(dim * dim);
  const ffnNorm = perLayer(dim);
  const w1 = perLayer(hiddenDim * dim);
  const w2 = perLayer(dim * hiddenDim);
  const w3 = perLayer(hiddenDim * dim);
  const finalNorm = take(dim);
  off += legacyRope; // run.c skips these precomputed cos/sin tables; RoPE comes from the table given
  const classifier = rawVocab < 0 ? take(vocabSize * dim) : embedding;
  const weights: LlamaWeights = {
    config,
    embedding,
    finalNorm,
    classifier,
    layers: wq.map((_, l) => ({
      attnNorm: attnNorm[l],
      wq: wq[l],
      wk: wk[l],
      wv: wv[l],
      wo: wo[l],
      ffnNorm: ffnNorm[l],
      wGate: w1[l],
      wDown: w2[l],
      wUp: w3[l],
    })),
  };
  checkWeightShapes(weights, source);
  return { weights, seqLen };
}
