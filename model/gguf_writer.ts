/**
 * Writes a llama model as a GGUF file (version 3, every tensor f32) that llama.cpp and ropekit's own
 * GGUF reader load: the bench hands the same weights and token ids to llama.cpp as to ropekit.
 * Weights must rotate adjacent channel pairs (ropekit's "interleaved" pairing: llama2.c models and
 * GGUF "llama" files), which is what llama.cpp's llama architecture runs.
 *
 * @module
 */
import type { ModelWeights } from "./config.ts";
import { denseWeights } from "./quant_matrix.ts";
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

/** A metadata value, by GGUF type: u32, f32, bool, string, or arrays of strings, f32 or i32. */
export type GgufValue =
  | { u32: number }
  | { f32: number }
  | { bool: boolean }
  | { str: string }
  | { strs: string[] }
  | { f32s: number[] }
  | { i32s: number[] };

/** One tensor of a GGUF file: its encoded bytes and ggml type (0 F32, 1 F16, 8 Q8_0, …). */
export interface GgufTensorBytes {
  name: string;
  /** ggml dims, innermost first: [cols, rows] for a matrix. */
  dims: number[];
  type: number;
  bytes: Uint8Array;
}

const ALIGNMENT = 32;

/** A GGUF v3 file (alignment 32) holding `metadata` and `tensors`. */
export function ggufContainer(metadata: Record<string, GgufValue>, tensors: GgufTensorBytes[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let pending: number[] = [];
  const flush = () => (parts.push(Uint8Array.from(pending)), pending = []);
  const u32 = (x: number) => pending.push(x & 255, (x >>> 8) & 255, (x >>> 16) & 255, (x >>> 24) & 255);
  const u64 = (x: number) => (u32(x), u32(Math.floor(x / 2 ** 32)));
  const f32 = (x: number) => pending.push(...new Uint8Array(new Float32Array([x]).buffer));
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    u64(b.length);
    for (const x of b) pending.push(x);
  };
  pending.push(0x47, 0x47, 0x55, 0x46); // "GGUF"
  u32(3);
  u64(tensors.length);
  u64(Object.keys(metadata).length);
  for (const [k, v] of Object.entries(metadata)) {
    str(k);
    if ("u32" in v) u32(4), u32(v.u32);
    else if ("f32" in v) u32(6), f32(v.f32);
    else if ("bool" in v) u32(7), pending.push(v.bool ? 1 : 0);
    else if ("str" in v) u32(8), str(v.str);
    else if ("strs" in v) u32(9), u32(8), u64(v.strs.length), v.strs.forEach(str);
    else if ("f32s" in v) u32(9), u32(6), u64(v.f32s.length), v.f32s.forEach(f32);
    else u32(9), u32(5), u64(v.i32s.length), v.i32s.forEach(u32);
    if (pending.length > 1 << 16) flush();
  }
  let offset = 0;
  for (const t of tensors) {
    str(t.name);
    u32(t.dims.length);
    t.dims.forEach(u64);
    u32(t.type);
    u64(offset);
    offset += Math.ceil(t.bytes.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  flush();
  const head = parts.reduce((n, p) => n + p.byteLength, 0);
  const start = Math.ceil(head / ALIGNMENT) * ALIGNMENT;
  const out = new Uint8Array(start + offset);
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.byteLength;
  at = start;
  for (const t of tensors) out.set(t.bytes, at), at += Math.ceil(t.bytes.byteLength / ALIGNMENT) * ALIGNMENT;
  return out;
}

/** The GGUF bytes of `model` (llama architecture, f32; encoded matrices are decoded). */
export function llamaGgufBytes(
  model: ModelWeights,
  spec: RopeSpec,
  vocab: GgufVocab,
  name = "ropekit",
): Uint8Array {
  const weights = denseWeights(model), c = weights.config;
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
  const metadata: Record<string, GgufValue> = {
    "general.architecture": { str: "llama" },
    "general.name": { str: name },
    "general.file_type": { u32: 0 }, // all f32
    "llama.context_length": { u32: spec.maxPositions },
    "llama.embedding_length": { u32: c.dim },
    "llama.block_count": { u32: c.nLayers },
    "llama.feed_forward_length": { u32: c.hiddenDim },
    "llama.attention.head_count": { u32: c.nHeads },
    "llama.attention.head_count_kv": { u32: c.nKvHeads },
    "llama.attention.key_length": { u32: c.headDim },
    "llama.attention.value_length": { u32: c.headDim },
    "llama.rope.dimension_count": { u32: spec.rotaryDim },
    "llama.rope.freq_base": { f32: spec.theta },
    "llama.attention.layer_norm_rms_epsilon": { f32: c.normEps },
    "tokenizer.ggml.model": { str: "llama" },
    "tokenizer.ggml.tokens": { strs: vocab.tokens },
    "tokenizer.ggml.scores": { f32s: vocab.scores },
    "tokenizer.ggml.token_type": { i32s: vocab.types },
    "tokenizer.ggml.bos_token_id": { u32: c.bosId },
    "tokenizer.ggml.eos_token_id": { u32: c.eosId },
  };
  const qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  // [name, data, dims in ggml order (fastest first)]
  const list: [string, Float32Array, number[]][] = [["token_embd.weight", weights.embedding, [
    c.dim,
    c.vocabSize,
  ]]];
  weights.layers.forEach((l, i) => {
    const p = `blk.${i}.`;
    list.push(
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
  list.push(["output_norm.weight", weights.finalNorm, [c.dim]]);
  if (weights.classifier !== weights.embedding) {
    list.push(["output.weight", weights.classifier, [c.dim, c.vocabSize]]);
  }
  return ggufContainer(
    metadata,
    list.map(([tname, data, dims]) => {
      if (data.length !== dims.reduce((a, b) => a * b, 1)) {
        throw new RangeError(`${tname}: size does not match`);
      }
      return {
        name: tname,
        dims,
        type: 0,
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
    }),
  );
}

/** Writes {@linkcode llamaGgufBytes} to `path`. */
export async function writeGguf(
  path: string,
  weights: ModelWeights,
  spec: RopeSpec,
  vocab: GgufVocab,
  name?: string,
): Promise<void> {
  await Deno.writeFile(path, llamaGgufBytes(weights, spec, vocab, name));
}
