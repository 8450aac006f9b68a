/**
 * GGUF (v2/v3) llama-family files: metadata → config and RoPE spec, matrices kept in their stored
 * type ({@linkcode QuantMatrix}: f16, bf16, Q8_0, Q4_K, …; f32 ones as Float32Array), vectors decoded
 * to f32, embedded SentencePiece vocabulary → tokenizer. Header parsing is `@huggingface/gguf`'s.
 *
 * @module
 */
import { gguf } from "@huggingface/gguf";
import type { Pairing, RopeSpec, RopeTable } from "../strategies/types.ts";
import { type ConfiguredRope, configuredRopeFromGguf } from "../strategies/config_rope.ts";
import {
  checkWeightShapes,
  type LayerWeights,
  type LlamaConfig,
  ModelFormatError,
  type ModelWeights,
  type WeightMatrix,
} from "./config.ts";
import { dequantize, ggmlByteSize, GgmlType } from "./dequantize.ts";
import { QuantMatrix, sliceRows } from "./quant_matrix.ts";
import { type BlockShape, FAMILIES } from "./architecture.ts";
import { SentencePieceBpe } from "./sentencepiece_bpe.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { UnsupportedTokenizer } from "./unsupported_tokenizer.ts";

/**
 * Channel pairing per GGUF architecture. llama.cpp's converter un-permutes HF's q/k for "llama", so
 * those weights rotate adjacent pairs; the others keep HF's layout and run ggml's NEOX rope.
 */
const PAIRING: Record<string, Pairing> = {
  llama: "interleaved",
  qwen2: "half",
  phi3: "half",
  qwen3: "half",
  olmo2: "half",
};

/** The block shape of each GGUF architecture (the family rows of `architecture.ts`) and its norm tensors. */
const GGUF_BLOCKS: Record<string, { shape: BlockShape; attnNorm: string; ffnNorm: string }> = {
  qwen3: { shape: FAMILIES.qwen3.shape, attnNorm: "attn_norm", ffnNorm: "ffn_norm" },
  // OLMo 2's only norms are on the sublayers' outputs (llama.cpp's post_attention_norm / post_ffw_norm).
  olmo2: { shape: FAMILIES.olmo2.shape, attnNorm: "post_attention_norm", ffnNorm: "post_ffw_norm" },
};

/** What a model file yields before a backend is attached. */
export interface LoadedFiles {
  weights: ModelWeights;
  spec: RopeSpec;
  tokenizer: Tokenizer;
  /** The RoPE scaling the files declare (the `config` strategy entry); absent when they declare none. */
  configRope?: ConfiguredRope;
  /** The sliding-window layers' own RoPE (Gemma 3's local base), applied as is whatever the strategy. */
  localRope?: { spec: RopeSpec; table: RopeTable };
}

type Metadata = Record<string, unknown>;

function num(md: Metadata, key: string, source: string, fallback?: number): number {
  const v = md[key];
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (fallback !== undefined) return fallback;
  throw new ModelFormatError(`${source}: metadata key ${key} is missing`);
}

/** Reads a GGUF model file. */
export async function loadGguf(path: string): Promise<LoadedFiles> {
  let header;
  try {
    header = await gguf(path, { allowLocalFile: true });
  } catch (e) {
    // The parser's own messages ("not a valid gguf file: …", a DataView range error) name no file.
    throw new ModelFormatError(`${path}: cannot read the GGUF header (${(e as Error).message})`, {
      cause: e,
    });
  }
  const { metadata, tensorInfos, tensorDataOffset } = header;
  const md = metadata as unknown as Metadata;
  if (md["general.architecture"] === undefined) {
    throw new ModelFormatError(`${path}: metadata key general.architecture is missing`);
  }
  const arch = String(md["general.architecture"]);
  const pairing = PAIRING[arch];
  if (!pairing) {
    throw new ModelFormatError(
      `${path}: architecture "${arch}" is not supported (supported: ${Object.keys(PAIRING).join(", ")})`,
    );
  }
  const file = await Deno.open(path, { read: true });
  const tensors = new Map<string, WeightMatrix>();
  try {
    for (const t of tensorInfos) {
      const n = t.shape.reduce((a, b) => a * Number(b), 1);
      const size = ggmlByteSize(t.dtype, n, t.name);
      const bytes = await readRange(file, Number(tensorDataOffset + t.offset), size, path);
      // Matrices stay encoded (the kernels decode a block at a time); vectors (norms, biases) are tiny.
      const matrix = t.shape.length === 2 && t.dtype !== GgmlType.F32;
      tensors.set(
        t.name,
        matrix
          ? new QuantMatrix(
            t.dtype,
            Number(t.shape[1]),
            Number(t.shape[0]),
            bytes,
            `${path}: tensor ${t.name}`,
          )
          : dequantize(t.dtype, bytes, n, t.name),
      );
    }
  } finally {
    file.close();
  }
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new ModelFormatError(`${path}: tensor ${name} is missing`);
    return t;
  };
  const block = GGUF_BLOCKS[arch];
  const vector = (name: string) => {
    const t = get(name);
    if (!(t instanceof Float32Array)) {
      throw new ModelFormatError(`${path}: tensor ${name} should be a vector`);
    }
    return t;
  };
  const bias = (name: string) => (tensors.has(name) ? vector(name) : undefined);
  const nHeads = num(md, `${arch}.attention.head_count`, path);
  const dim = num(md, `${arch}.embedding_length`, path);
  const headDim = num(md, `${arch}.attention.key_length`, path, dim / nHeads);
  const nKvHeads = num(md, `${arch}.attention.head_count_kv`, path, nHeads);
  const hiddenDim = num(md, `${arch}.feed_forward_length`, path);
  const embedding = get("token_embd.weight");
  const tokens = md["tokenizer.ggml.tokens"] as string[] | undefined;
  const config: LlamaConfig = {
    architecture: arch,
    dim,
    hiddenDim,
    nLayers: num(md, `${arch}.block_count`, path),
    nHeads,
    nKvHeads,
    headDim,
    vocabSize: embedding.length / dim,
    normEps: num(md, `${arch}.attention.layer_norm_rms_epsilon`, path, 1e-5),
    bosId: num(md, "tokenizer.ggml.bos_token_id", path, 1),
    eosId: num(md, "tokenizer.ggml.eos_token_id", path, 2),
    block: block && { ...block.shape },
  };
  const qDim = nHeads * headDim, kvDim = nKvHeads * headDim;
  const layers: LayerWeights<WeightMatrix>[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `blk.${l}.`;
    // Phi-3 stores q, k and v stacked in one matrix, and gate then up stacked in ffn_up.
    const qkv = tensors.get(p + "attn_qkv.weight");
    const gate = tensors.get(p + "ffn_gate.weight");
    const up = get(p + "ffn_up.weight");
    const rows = (m: WeightMatrix, start: number, end: number) => sliceRows(m, dim, start, end);
    layers.push({
      attnNorm: vector(p + (block?.attnNorm ?? "attn_norm") + ".weight"),
      wq: qkv ? rows(qkv, 0, qDim) : get(p + "attn_q.weight"),
      wk: qkv ? rows(qkv, qDim, qDim + kvDim) : get(p + "attn_k.weight"),
      wv: qkv ? rows(qkv, qDim + kvDim, qDim + 2 * kvDim) : get(p + "attn_v.weight"),
      wo: get(p + "attn_output.weight"),
      bq: bias(p + "attn_q.bias"),
      bk: bias(p + "attn_k.bias"),
      bv: bias(p + "attn_v.bias"),
      ffnNorm: vector(p + (block?.ffnNorm ?? "ffn_norm") + ".weight"),
      wGate: gate ?? rows(up, 0, hiddenDim),
      wUp: gate ? up : rows(up, hiddenDim, 2 * hiddenDim),
      wDown: get(p + "ffn_down.weight"),
      qNorm: block?.shape.qkNorm ? vector(p + "attn_q_norm.weight") : undefined,
      kNorm: block?.shape.qkNorm ? vector(p + "attn_k_norm.weight") : undefined,
    });
  }
  const weights: ModelWeights = {
    config,
    embedding,
    layers,
    finalNorm: vector("output_norm.weight"),
    classifier: tensors.get("output.weight") ?? embedding,
  };
  checkWeightShapes(weights, path);
  const contextLength = num(md, `${arch}.context_length`, path);
  const originalContext = num(md, `${arch}.rope.scaling.original_context_length`, path, contextLength);
  const spec: RopeSpec = {
    theta: num(md, `${arch}.rope.freq_base`, path, 10000),
    headDim,
    rotaryDim: num(md, `${arch}.rope.dimension_count`, path, headDim),
    originalContext,
    maxPositions: contextLength,
    pairing,
  };
  let configRope;
  try {
    configRope = configuredRopeFromGguf(md, arch, contextLength, path, {
      freqs: tensors.has("rope_freqs.weight") ? vector("rope_freqs.weight") : undefined,
      long: tensors.has("rope_factors_long.weight") ? vector("rope_factors_long.weight") : undefined,
      short: tensors.has("rope_factors_short.weight") ? vector("rope_factors_short.weight") : undefined,
    });
  } catch (e) {
    throw new ModelFormatError((e as Error).message);
  }
  return { weights, spec, tokenizer: ggufTokenizer(md, config, tokens, path), configRope };
}

function ggufTokenizer(
  md: Metadata,
  config: LlamaConfig,
  tokens: string[] | undefined,
  path: string,
): Tokenizer {
  const kind = md["tokenizer.ggml.model"];
  if (kind !== "llama" || !tokens) {
    return new UnsupportedTokenizer(
      `${path}: GGUF tokenizer model "${kind}" is not supported (only "llama"); pass --tokens instead of text`,
      config,
    );
  }
  const types = (md["tokenizer.ggml.token_type"] as number[] | undefined) ?? [];
  const enc = new TextEncoder();
  return new SentencePieceBpe({
    pieces: tokens.map((t) => enc.encode(t)),
    scores: (md["tokenizer.ggml.scores"] as number[] | undefined) ?? new Float32Array(tokens.length),
    bosId: config.bosId,
    eosId: config.eosId,
    spaceSymbol: "\u2581",
    // token_type 3 = control (llama.cpp's LLAMA_TOKEN_TYPE_CONTROL).
    controlIds: [config.bosId, config.eosId, ...types.flatMap((t, id) => (t === 3 ? [id] : []))],
  });
}

/** Reads exactly `length` bytes at `offset`. */
async function readRange(
  file: Deno.FsFile,
  offset: number,
  length: number,
  path: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  for (let got = 0; got < length;) {
    const n = await file.read(out.subarray(got));
    if (n === null) {
      throw new ModelFormatError(`${path}: file ends inside tensor data at byte ${offset + got}`);
    }
    got += n;
  }
  return out;
}
