/**
 * Test helpers: where the shared stories260K files are, seeded random weights, and writers for the
 * model formats (llama2.c .bin, safetensors, GGUF) so tests build their own files in temp dirs.
 */
import { join } from "node:path";
import type { LlamaConfig, LlamaWeights } from "../../model/config.ts";
import { ggufContainer, type GgufValue } from "../../model/gguf_writer.ts";
import { baseInvFreq } from "../../strategies/float32.ts";
import type { RopeTable } from "../../strategies/types.ts";
import { hasSharedFiles, sharedPath } from "../_shared_dir.ts";

/** Path of shared/models/stories260K/ (with the slash), or null (and a message) when it is absent. */
export function stories260K(): string | null {
  return hasSharedFiles("models/stories260K/stories260K.bin") ? sharedPath("models/stories260K/") : null;
}

/** The model's own RoPE (strategy "default") as a table. */
export function plainRope(theta: number, rotaryDim: number, attentionScale = 1): RopeTable {
  return { rotaryDim, invFreq: baseInvFreq(theta, rotaryDim), attentionScale };
}

/** Deterministic uniform numbers in [−1, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Random weights for `config` (norm weights near 1, matrices ~ 1/sqrt(fan-in)); biases when asked. */
export function randomWeights(config: LlamaConfig, seed: number, biases = false): LlamaWeights {
  const r = rng(seed);
  const mat = (rows: number, cols: number) =>
    Float32Array.from({ length: rows * cols }, () => r() / Math.sqrt(cols));
  const norm = (n: number) => Float32Array.from({ length: n }, () => 1 + 0.1 * r());
  const vec = (n: number) => Float32Array.from({ length: n }, () => 0.5 * r());
  const { dim, hiddenDim: h } = config;
  const q = config.nHeads * config.headDim, kv = config.nKvHeads * config.headDim;
  const embedding = mat(config.vocabSize, dim);
  return {
    config,
    embedding,
    finalNorm: norm(dim),
    classifier: mat(config.vocabSize, dim),
    layers: Array.from({ length: config.nLayers }, () => ({
      attnNorm: norm(dim),
      wq: mat(q, dim),
      wk: mat(kv, dim),
      wv: mat(kv, dim),
      wo: mat(dim, q),
      ...(biases ? { bq: vec(q), bk: vec(kv), bv: vec(kv) } : {}),
      ffnNorm: norm(dim),
      wGate: mat(h, dim),
      wUp: mat(h, dim),
      wDown: mat(dim, h),
    })),
  };
}

/** A small GQA config with an untied classifier. */
export function smallConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    architecture: "llama",
    dim: 32,
    hiddenDim: 48,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    headDim: 8,
    vocabSize: 40,
    normEps: 1e-5,
    bosId: 1,
    eosId: 2,
    ...overrides,
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) out.set(p, off), off += p.byteLength;
  return out;
}

const f32Bytes = (a: Float32Array) =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** A llama2.c checkpoint of `w` (negative vocab in the header: the classifier is stored). */
export function llama2cBytes(w: LlamaWeights, seqLen: number): Uint8Array {
  const c = w.config;
  const header = new Int32Array([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, -c.vocabSize, seqLen]);
  const L = w.layers;
  return concat([
    f32Bytes(new Float32Array(header.buffer)),
    f32Bytes(w.embedding),
    ...L.map((l) => f32Bytes(l.attnNorm)),
    ...L.map((l) => f32Bytes(l.wq)),
    ...L.map((l) => f32Bytes(l.wk)),
    ...L.map((l) => f32Bytes(l.wv)),
    ...L.map((l) => f32Bytes(l.wo)),
    ...L.map((l) => f32Bytes(l.ffnNorm)),
    ...L.map((l) => f32Bytes(l.wGate)),
    ...L.map((l) => f32Bytes(l.wDown)),
    ...L.map((l) => f32Bytes(l.wUp)),
    f32Bytes(w.finalNorm),
    new Uint8Array(seqLen * c.headDim * 4), // legacy freq_cis tables
    f32Bytes(w.classifier),
  ]);
}

/**
 * HF's conversion of q/k rows from interleaved pairs to rotate_half (convert_llama_weights_to_hf.py
 * `permute`): within each head, new row j < hd/2 is old row 2j, new row hd/2 + j is old row 2j + 1.
 */
export function interleavedToHalf(
  w: Float32Array,
  heads: number,
  headDim: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < headDim / 2; j++) {
      for (const [to, from] of [[j, 2 * j], [headDim / 2 + j, 2 * j + 1]]) {
        const src = (h * headDim + from) * cols, dst = (h * headDim + to) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/** A safetensors file of F32 tensors. */
export function safetensorsBytes(
  tensors: Record<string, { data: Float32Array; shape: number[] }>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const [name, { data, shape }] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape, data_offsets: [off, off + data.byteLength] };
    parts.push(f32Bytes(data));
    off += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  return concat([len, json, ...parts]);
}

/** Writes an HF folder for `w` (llama, or qwen2 when it has biases). q/k are permuted to rotate_half. */
export async function writeHfFolder(dir: string, w: LlamaWeights, seqLen: number, modelType = "llama") {
  const c = w.config;
  const t: Record<string, { data: Float32Array; shape: number[] }> = {};
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  t["model.embed_tokens.weight"] = { data: w.embedding, shape: [c.vocabSize, c.dim] };
  t["model.norm.weight"] = { data: w.finalNorm, shape: [c.dim] };
  t["lm_head.weight"] = { data: w.classifier, shape: [c.vocabSize, c.dim] };
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    t[p + "input_layernorm.weight"] = { data: l.attnNorm, shape: [c.dim] };
    t[p + "self_attn.q_proj.weight"] = {
      data: interleavedToHalf(l.wq, c.nHeads, c.headDim, c.dim),
      shape: [q, c.dim],
    };
    t[p + "self_attn.k_proj.weight"] = {
      data: interleavedToHalf(l.wk, c.nKvHeads, c.headDim, c.dim),
      shape: [kv, c.dim],
    };
    t[p + "self_attn.v_proj.weight"] = { data: l.wv, shape: [kv, c.dim] };
    if (l.bq && l.bk && l.bv) {
      t[p + "self_attn.q_proj.bias"] = { data: interleavedToHalf(l.bq, c.nHeads, c.headDim, 1), shape: [q] };
      t[p + "self_attn.k_proj.bias"] = {
        data: interleavedToHalf(l.bk, c.nKvHeads, c.headDim, 1),
        shape: [kv],
      };
      t[p + "self_attn.v_proj.bias"] = { data: l.bv, shape: [kv] };
    }
    t[p + "self_attn.o_proj.weight"] = { data: l.wo, shape: [c.dim, q] };
    t[p + "post_attention_layernorm.weight"] = { data: l.ffnNorm, shape: [c.dim] };
    t[p + "mlp.gate_proj.weight"] = { data: l.wGate, shape: [c.hiddenDim, c.dim] };
    t[p + "mlp.up_proj.weight"] = { data: l.wUp, shape: [c.hiddenDim, c.dim] };
    t[p + "mlp.down_proj.weight"] = { data: l.wDown, shape: [c.dim, c.hiddenDim] };
  });
  await Deno.writeFile(join(dir, "model.safetensors"), safetensorsBytes(t));
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      model_type: modelType,
      hidden_size: c.dim,
      intermediate_size: c.hiddenDim,
      num_hidden_layers: c.nLayers,
      num_attention_heads: c.nHeads,
      num_key_value_heads: c.nKvHeads,
      vocab_size: c.vocabSize,
      rms_norm_eps: c.normEps,
      rope_theta: 10000,
      max_position_embeddings: seqLen,
      tie_word_embeddings: false,
    }),
  );
}

/** float → IEEE half bits, round to nearest even (normal and subnormal range; no NaN handling needed here). */
export function f32ToF16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24); // subnormal: a multiple of 2^-24
  const exp = Math.floor(Math.log2(a));
  const e = a / 2 ** exp >= 2 ? exp + 1 : a / 2 ** exp < 1 ? exp - 1 : exp;
  let mant = Math.round((a / 2 ** e - 1) * 1024);
  let ee = e + 15;
  if (mant === 1024) mant = 0, ee++;
  return sign | (ee << 10) | mant;
}

/** One GGUF tensor to write: data as f32, stored as F32, F16 or Q8_0. */
export interface GgufTensor {
  name: string;
  /** ggml dims, innermost first: [cols, rows] for a matrix. */
  dims: number[];
  data: Float32Array;
  type: 0 | 1 | 8;
}

function encodeTensor(t: GgufTensor): Uint8Array {
  if (t.type === 0) return f32Bytes(t.data);
  const n = t.data.length;
  if (t.type === 1) {
    const out = new Uint8Array(n * 2), v = new DataView(out.buffer);
    for (let i = 0; i < n; i++) v.setUint16(2 * i, f32ToF16(t.data[i]), true);
    return out;
  }
  // Q8_0 as llama.cpp quantises: d = amax / 127 (stored as f16), q = round(x / d).
  const out = new Uint8Array((n / 32) * 34), v = new DataView(out.buffer);
  for (let b = 0; b < n / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(t.data[b * 32 + j]));
    const d = amax / 127;
    v.setUint16(b * 34, f32ToF16(d), true);
    for (let j = 0; j < 32; j++) v.setInt8(b * 34 + 2 + j, d ? Math.round(t.data[b * 32 + j] / d) : 0);
  }
  return out;
}

/** A GGUF v3 file (alignment 32) with the given metadata and tensors (model/gguf_writer.ts writes it). */
export function ggufBytes(metadata: Record<string, GgufValue>, tensors: GgufTensor[]): Uint8Array {
  return ggufContainer(
    metadata,
    tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, bytes: encodeTensor(t) })),
  );
}
