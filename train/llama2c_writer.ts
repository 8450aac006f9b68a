/**
 * Writes {@linkcode LlamaWeights} as a llama2.c "version 0" checkpoint, the layout
 * `parseLlama2cCheckpoint` reads (negative vocab size when the classifier is not tied), and vocabularies
 * as the `tokenizer.bin` beside it.
 *
 * @module
 */
import type { LlamaWeights } from "../model/config.ts";

/** Throws a RangeError when `w` has what a llama2.c file cannot hold. */
export function checkLlama2cWritable(w: LlamaWeights): void {
  const c = w.config;
  if (c.nHeads * c.headDim !== c.dim) {
    throw new RangeError(`llama2.c needs nHeads·headDim = dim (${c.nHeads}·${c.headDim} ≠ ${c.dim})`);
  }
  if (w.layers.some((l) => l.bq || l.bk || l.bv)) throw new RangeError("llama2.c has no projection biases");
}

/** The bytes of a `.bin` for `w`, recording `seqLen` as the trained context. */
export function llama2cBytes(w: LlamaWeights, seqLen: number): Uint8Array {
  checkLlama2cWritable(w);
  const c = w.config;
  const tied = w.classifier === w.embedding;
  const L = w.layers;
  const arrays = [
    w.embedding,
    ...L.map((l) => l.attnNorm),
    ...L.map((l) => l.wq),
    ...L.map((l) => l.wk),
    ...L.map((l) => l.wv),
    ...L.map((l) => l.wo),
    ...L.map((l) => l.ffnNorm),
    ...L.map((l) => l.wGate),
    ...L.map((l) => l.wDown),
    ...L.map((l) => l.wUp),
    w.finalNorm,
    new Float32Array(seqLen * c.headDim), // legacy freq_cis tables, skipped by every reader
    ...(tied ? [] : [w.classifier]),
  ];
  const floats = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(28 + 4 * floats);
  const view = new DataView(out.buffer);
  const header = [
    c.dim,
    c.hiddenDim,
    c.nLayers,
    c.nHeads,
    c.nKvHeads,
    tied ? c.vocabSize : -c.vocabSize,
    seqLen,
  ];
  header.forEach((v, i) => view.setInt32(4 * i, v, true));
  const body = new Float32Array(out.buffer, 28);
  let off = 0;
  for (const a of arrays) {
    body.set(a, off);
    off += a.length;
  }
  return out;
}

/** llama2.c `tokenizer.bin`: int32 max piece length, then per id: f32 score, int32 length, bytes. */
export function llama2cTokenizerBytes(pieces: Uint8Array[], scores: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + pieces.reduce((n, p) => n + 8 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setInt32(0, Math.max(...pieces.map((p) => p.length)), true);
  let off = 4;
  pieces.forEach((p, i) => {
    view.setFloat32(off, scores[i], true);
    view.setInt32(off + 4, p.length, true);
    out.set(p, off + 8);
    off += 8 + p.length;
  });
  return out;
}
