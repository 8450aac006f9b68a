/**
 * Writes a llama model as a GGUF file (version 3, every tensor f32) that llama.cpp and ropekit's own
 * GGUF reader load: the bench hands the same weights and token ids to llama.cpp as to ropekit.
 * Weights must rotate adjacent channel pairs (ropekit's "interleaved" pairing: llama2.c models and
 * GGUF "llama" files), which is what llama.cpp's llama architecture runs.
 *
 * @module
 */
import type { LlamaWeights } from "./config.ts";
import type { RopeSpec } from "../strategies/types.ts";

/** A SentencePiece-style vocabulary as GGUF stores it (token_type: 1 normal, 2 unknown, 3 control, 6 byte). */
export interface GgufVocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

/**
 * A stand-in vocabulary of `n` tokens for models whose own vocabulary is not at hand (random models):
 * <unk>, <s>, </s>, the 256 byte tokens llama.cpp's SentencePiece loader looks up, then "▁t<i>".
 */
export function placeholderVocab(n: number): GgufVocab {
  if (n < 3 + 256) throw new RangeError(`a placeholder vocabulary needs ≥ 259 tokens, not ${n}`);
  const tokens = ["<unk>", "<s>", "</s>"], types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
  }
  for (let i = tokens.length; i < n; i++) {
    tokens.push(`\u2581t${i}`);
    types.push(1);
  }
  return { tokens, scores: tokens.map((_, i) => -i), types };
}

// GGUF value types.
const U32 = 4, I32 = 5, F32 = 6, STRING = 8, ARRAY = 9;
const ALIGNMENT = 32;

/** Little-endian byte writer that grows as needed. */
class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number) {
    this.room(4), this.view.setUint32(this.length, v, true), this.length += 4;
  }
  i32(v: number) {
    this.room(4), this.view.setInt32(this.length, v, true), this.length += 4;
  }
  f32(v: number) {
    this.room(4), this.view.setFloat32(this.length, v, true), this.length += 4;
  }
  u64(v: number) {
    this.room(8), this.view.setBigUint64(this.length, BigInt(v), true), this.length += 8;
  }
  string(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.length), this.room(b.length), this.buf.set(b, this.length), this.length += b.length;
  }
  pad(to: number) {
    const n = (to - (this.length % to)) % to;
    this.room(n), this.buf.fill(0, this.length, this.length + n), this.length += n;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

type Value = { type: typeof U32 | typeof I32 | typeof F32 | typeof STRING; value: number | string } | {
  type: typeof ARRAY;
  of: typeof I32 | typeof F32 | typeof STRING;
  values: (number | string)[];
};

function writeScalar(out: Bytes, type: number, v: number | string) {
  if (type === U32) out.u32(v as number);
  else if (type === I32) out.i32(v as number);
  else if (type === F32) out.f32(v as number);
  else out.string(v as string);
}

/** The GGUF bytes of `weights` (llama architecture, f32). */
export function ggufBytes(
  weights: LlamaWeights,
  spec: RopeSpec,
  vocab: GgufVocab,
  name = "ropekit",
): Uint8Array {
  const c = weights.config;
  if (spec.pairing !== "interleaved") {
    throw new RangeError(
      `GGUF "llama" weights rotate adjacent pairs; this model's pairing is "${spec.pairing}"`,
    );
  }
  if (vocab.tokens.length !== c.vocabSize) {
    throw new RangeError(`vocabulary has ${vocab.tokens.length} tokens, the model ${c.vocabSize}`);
  }
  if (weights.layers.some((l) => l.bq || l.bk || l.bv)) {
    throw new RangeError("attention biases are not written");
  }
  const u32 = (value: number): Value => ({ type: U32, value });
  const kv: [string, Value][] = [
    ["general.architecture", { type: STRING, value: "llama" }],
    ["general.name", { type: STRING, value: name }],
    ["general.file_type", u32(0)], // all f32
    ["llama.context_length", u32(spec.maxPositions)],
    ["llama.embedding_length", u32(c.dim)],
    ["llama.block_count", u32(c.nLayers)],
    ["llama.feed_forward_length", u32(c.hiddenDim)],
    ["llama.attention.head_count", u32(c.nHeads)],
    ["llama.attention.head_count_kv", u32(c.nKvHeads)],
    ["llama.attention.key_length", u32(c.headDim)],
    ["llama.attention.value_length", u32(c.headDim)],
    ["llama.rope.dimension_count", u32(spec.rotaryDim)],
    ["llama.rope.freq_base", { type: F32, value: spec.theta }],
    ["llama.attention.layer_norm_rms_epsilon", { type: F32, value: c.normEps }],
    ["tokenizer.ggml.model", { type: STRING, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: ARRAY, of: STRING, values: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: ARRAY, of: F32, values: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: ARRAY, of: I32, values: vocab.types }],
    ["tokenizer.ggml.bos_token_id", u32(c.bosId)],
    ["tokenizer.ggml.eos_token_id", u32(c.eosId)],
  ];
  // [name, data, shape in ggml order (fastest dimension first)]
  const tensors: [string, Float32Array, number[]][] = [["token_embd.weight", weights.embedding, [
    c.dim,
    c.vocabSize,
  ]]];
  const qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  weights.layers.forEach((l, i) => {
    const p = `blk.${i}.`;
    tensors.push(
      [p + "attn_norm.weight", l.attnNorm, [c.dim]],
      [p + "attn_q.weight", l.wq, [c.dim, qDim]],
      [p + "attn_k.weight", l.wk, [c.dim, kvDim]],
      [p + "attn_v.weight", l.wv, [c.dim, kvDim]],
      [p + "attn_output.weight", l.wo, [qDim, c.dim]],
      [p + "ffn_norm.weight", l.ffnNorm, [c.dim]],
      [p + "ffn_gate.weight", l.wGate, [c.dim, c.hiddenDim]],
      [p + "ffn_up.weight", l.wUp, [c.dim, c.hiddenDim]],
      [p + "ffn_down.weight", l.wDown, [c.hiddenDim, c.dim]],
    );
  });
  tensors.push(["output_norm.weight", weights.finalNorm, [c.dim]]);
  if (weights.classifier !== weights.embedding) {
    tensors.push(["output.weight", weights.classifier, [c.dim, c.vocabSize]]);
  }

  const head = new Bytes();
  head.u32(0x46554747); // "GGUF"
  head.u32(3);
  head.u64(tensors.length);
  head.u64(kv.length);
  for (const [key, v] of kv) {
    head.string(key);
    head.u32(v.type);
    if (v.type === ARRAY) {
      head.u32(v.of), head.u64(v.values.length);
      for (const x of v.values) writeScalar(head, v.of, x);
    } else writeScalar(head, v.type, v.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const [tname, data, shape] of tensors) {
    if (data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new RangeError(`${tname}: size does not match`);
    }
    head.string(tname), head.u32(shape.length);
    for (const d of shape) head.u64(d);
    head.u32(0), head.u64(offset); // type f32, offset in the data section
    offsets.push(offset);
    offset += Math.ceil((data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  head.pad(ALIGNMENT);
  const out = new Uint8Array(head.length + offset);
  out.set(head.bytes());
  tensors.forEach(([, data], i) => {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.length * 4), head.length + offsets[i]);
  });
  return out;
}

/** Writes {@linkcode ggufBytes} to `path`. */
export async function writeGguf(
  path: string,
  weights: LlamaWeights,
  spec: RopeSpec,
  vocab: GgufVocab,
  name?: string,
): Promise<void> {
  await Deno.writeFile(path, ggufBytes(weights, spec, vocab, name));
}
