/**
 * The export use case: a model with a RoPE strategy applied, written as a Hugging Face folder
 * (config.json with the RoPE block, model.safetensors, tokenizer) or a GGUF llama.cpp runs — and a
 * refusal, naming the reason, for what the target engine cannot express.
 *
 * @module
 */
import { join } from "node:path";
import { loadModel } from "../model/load_model.ts";
import type { Model } from "../model/model.ts";
import type { LlamaWeights } from "../model/config.ts";
import { denseWeights } from "../model/quant_matrix.ts";
import { resolveEntry } from "../entries/mod.ts";
import { CONFIG_ENTRY } from "../strategies/config_rope.ts";
import { buildTable, builtinRegistry, type StrategyRegistry } from "../strategies/registry.ts";
import {
  ExportError,
  type ExportInput,
  hfConfigFields,
  type HfFormat,
  toGguf,
} from "../strategies/export.ts";
import type { Params, RopeSpec } from "../strategies/types.ts";
import { encodeSafetensors, type NamedTensor } from "./safetensors_writer.ts";
import { ggufContainer, type GgufTensorBytes, type GgufValue } from "../model/gguf_writer.ts";
import { tokenizerJson } from "./tokenizer_json.ts";
import { encodeExportTensor, type ExportQuant, GGUF_FILE_TYPE } from "./gguf_quant.ts";
import { SentencePieceBpe } from "../model/sentencepiece_bpe.ts";

export { ExportError };

/** Where to export to. */
export type ExportTarget = "hf" | "gguf";

/** Options of {@linkcode exportModel}. */
export interface ExportOptions {
  /** A model path (llama2.c .bin, GGUF, HF folder). */
  model: string;
  /**
   * A strategy entry (`yarn`, `yarn:factor=8`, `longrope2@result.json`, `config`). Default: `config`, the
   * scaling the model's files declare; required when they declare none.
   */
  strategy?: string;
  /** The extended context; default: the model's max positions (its L0 for llama2.c files). */
  targetLength?: number;
  to: ExportTarget;
  /** Output folder (hf) or file (gguf). */
  out: string;
  /** config.json layout for `hf` (default v5). */
  hfFormat?: HfFormat;
  /** `gguf` only: quantize the matrices (q8_0, q4_k — a Q4_K_M-like mix —, q6_k); default f32. */
  quant?: ExportQuant;
  registry?: StrategyRegistry;
  /** An already loaded model (tests, the engines harness); `model` is then only a label. */
  loaded?: Model;
}

/** What was written. */
export interface ExportResult {
  to: ExportTarget;
  out: string;
  files: string[];
  strategy: string;
  params: Params;
  targetLength: number;
  /** The RoPE fields written: config.json fields (hf) or GGUF keys (gguf). */
  rope: Record<string, unknown>;
  /** Differences the export keeps, in words (e.g. llama.cpp's long/short choice). */
  notes: string[];
}

/** Refusals that hold for every engine: ropekit features nobody else implements. */
function refuseCommon(x: ExportInput): void {
  if (x.table.startTokens) {
    throw new ExportError(
      `${x.strategy}: start_tokens=${x.table.startTokens} keeps the original RoPE for the first positions; ` +
        "neither transformers nor llama.cpp can express that (export with start_tokens=0)",
    );
  }
  if (x.spec.rotaryDim !== x.spec.headDim && x.spec.pairing === "interleaved") {
    throw new ExportError("partial rotary with interleaved pairs has no Llama equivalent in either engine");
  }
}

/** llama.cpp (llama architecture) cannot express these; each would silently compute something else. */
function refuseGguf(x: ExportInput): void {
  const why = (s: string) => {
    throw new ExportError(`${x.strategy} cannot be exported to GGUF: ${s}`);
  };
  if (x.table.lengthDependent) why("llama.cpp has no dynamic NTK (ggml-org/llama.cpp#8361)");
  if (x.strategy === "proportional") why("llama.cpp's llama architecture has no p-RoPE");
  if (x.table.softmaxScale !== undefined) {
    why("llama.cpp's llama graph applies no mscale_all_dim softmax scale");
  }
  if (x.strategy === "yarn") {
    if (x.params.truncate === false) {
      why("llama.cpp always truncates YaRN's correction range (truncate=false)");
    }
    const s = typeof x.params.factor === "number" ? x.params.factor : x.targetLength / x.spec.originalContext;
    if (Math.abs(x.table.attentionScale - (0.1 * Math.log(s) + 1)) > 1e-12) {
      why("llama.cpp computes YaRN's attention factor as 0.1·ln s + 1 and cannot take another");
    }
  }
}

/** HF's `rotate_half` layout from llama2.c/GGUF-llama interleaved pairs (or back): rows of q and k per head. */
export function permuteRotary(
  w: Float32Array,
  heads: number,
  headDim: number,
  cols: number,
  to: "half" | "interleaved",
): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      // interleaved row 2i ↔ half row i; interleaved row 2i+1 ↔ half row i + d/2.
      const pairs: [number, number][] = [[2 * i, i], [2 * i + 1, i + half]];
      for (const [il, hf] of pairs) {
        const [src, dst] = to === "half" ? [il, hf] : [hf, il];
        out.set(
          w.subarray((h * headDim + src) * cols, (h * headDim + src + 1) * cols),
          (h * headDim + dst) * cols,
        );
      }
    }
  }
  return out;
}

function qk(w: LlamaWeights, spec: RopeSpec, to: "half" | "interleaved") {
  const c = w.config;
  return (m: Float32Array, heads: number) =>
    spec.pairing === to ? m : permuteRotary(m, heads, c.headDim, c.dim, to);
}

async function writeHf(
  model: Model,
  x: ExportInput,
  out: string,
  format: HfFormat,
): Promise<{ files: string[]; rope: Record<string, unknown>; notes: string[] }> {
  if (x.spec.rotaryDim !== x.spec.headDim && x.strategy !== "proportional") {
    throw new ExportError(
      "transformers' Llama rotates the whole head: partial rotary cannot be exported as Llama",
    );
  }
  const w = denseWeights(model.weights), c = w.config;
  const { fields, notes } = hfConfigFields(x, format);
  const tied = w.classifier === w.embedding;
  const config = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    rms_norm_eps: c.normEps,
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: tied,
    bos_token_id: c.bosId,
    eos_token_id: c.eosId,
    torch_dtype: "float32",
    ...fields,
  };
  const perm = qk(w, x.spec, "half");
  const tensors: NamedTensor[] = [
    { name: "model.embed_tokens.weight", shape: [c.vocabSize, c.dim], data: w.embedding },
    { name: "model.norm.weight", shape: [c.dim], data: w.finalNorm },
  ];
  if (!tied) tensors.push({ name: "lm_head.weight", shape: [c.vocabSize, c.dim], data: w.classifier });
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    tensors.push(
      { name: p + "input_layernorm.weight", shape: [c.dim], data: l.attnNorm },
      { name: p + "self_attn.q_proj.weight", shape: [q, c.dim], data: perm(l.wq, c.nHeads) },
      { name: p + "self_attn.k_proj.weight", shape: [kv, c.dim], data: perm(l.wk, c.nKvHeads) },
      { name: p + "self_attn.v_proj.weight", shape: [kv, c.dim], data: l.wv },
      { name: p + "self_attn.o_proj.weight", shape: [c.dim, q], data: l.wo },
      { name: p + "post_attention_layernorm.weight", shape: [c.dim], data: l.ffnNorm },
      { name: p + "mlp.gate_proj.weight", shape: [c.hiddenDim, c.dim], data: l.wGate },
      { name: p + "mlp.up_proj.weight", shape: [c.hiddenDim, c.dim], data: l.wUp },
      { name: p + "mlp.down_proj.weight", shape: [c.dim, c.hiddenDim], data: l.wDown },
    );
    if (l.bq || l.bk || l.bv) throw new ExportError("q/k/v biases (Qwen2) are not exported as Llama");
  });
  await Deno.mkdir(out, { recursive: true });
  const files = ["config.json", "model.safetensors"];
  await Deno.writeTextFile(join(out, "config.json"), JSON.stringify(config, null, 2) + "\n");
  await Deno.writeFile(join(out, "model.safetensors"), encodeSafetensors(tensors));
  if (model.tokenizer instanceof SentencePieceBpe) {
    await Deno.writeTextFile(
      join(out, "tokenizer.json"),
      JSON.stringify(tokenizerJson(model.tokenizer.vocab)) + "\n",
    );
    await Deno.writeTextFile(
      join(out, "tokenizer_config.json"),
      JSON.stringify(
        {
          tokenizer_class: "LlamaTokenizerFast",
          bos_token: "<s>",
          eos_token: "</s>",
          unk_token: "<unk>",
          add_bos_token: true,
        },
        null,
        2,
      ) + "\n",
    );
    files.push("tokenizer.json", "tokenizer_config.json");
  } else {
    notes.push("the model's tokenizer is not a SentencePiece vocabulary: no tokenizer written");
  }
  return { files, rope: fields, notes };
}

/** A float32 tensor: `dims` innermost first, as ggml's `ne` (a [rows][cols] matrix is [cols, rows]). */
interface F32Tensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** The tensor as GGUF bytes (ggml type 0, F32), its shape checked against its data. */
function f32TensorBytes(t: F32Tensor): GgufTensorBytes {
  const n = t.dims.reduce((a, c) => a * c, 1);
  if (n !== t.data.length) {
    throw new RangeError(`tensor ${t.name}: dims ${t.dims} need ${n} values, has ${t.data.length}`);
  }
  return {
    name: t.name,
    dims: t.dims,
    type: 0,
    bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}

async function writeGguf(
  model: Model,
  x: ExportInput,
  out: string,
  quant?: ExportQuant,
): Promise<{ files: string[]; rope: Record<string, unknown>; notes: string[] }> {
  refuseGguf(x);
  const w = denseWeights(model.weights), c = w.config;
  const g = toGguf(x);
  const notes = [...g.notes];
  // Short and long factor sets need llama.cpp's phi3 architecture (rope_factors_long/short, NEOX pairs,
  // fused qkv and gate-up); everything else is the llama architecture with at most one factor tensor.
  const arch = g.tensors["rope_factors_long.weight"] ? "phi3" : "llama";
  const md: Record<string, GgufValue> = {
    "general.architecture": { str: arch },
    "general.name": { str: `${model.source} + ${x.strategy}` },
    [`${arch}.context_length`]: { u32: x.targetLength },
    [`${arch}.embedding_length`]: { u32: c.dim },
    [`${arch}.block_count`]: { u32: c.nLayers },
    [`${arch}.feed_forward_length`]: { u32: c.hiddenDim },
    [`${arch}.attention.head_count`]: { u32: c.nHeads },
    [`${arch}.attention.head_count_kv`]: { u32: c.nKvHeads },
    [`${arch}.attention.key_length`]: { u32: c.headDim },
    [`${arch}.attention.value_length`]: { u32: c.headDim },
    [`${arch}.attention.layer_norm_rms_epsilon`]: { f32: c.normEps },
    [`${arch}.vocab_size`]: { u32: c.vocabSize },
  };
  const rope: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(g.keys)) {
    const key = k.replace("{arch}", arch);
    rope[key] = v;
    md[key] = typeof v === "string"
      ? { str: v }
      : Number.isInteger(v) && !key.endsWith("freq_base") && !key.endsWith("factor") && !key.includes("beta")
      ? { u32: v }
      : { f32: v };
  }
  const tensors: F32Tensor[] = [];
  if (x.table.short && x.table.short.attentionScale !== x.table.attentionScale) {
    notes.push(
      `llama.cpp applies rope.scaling.attn_factor ${x.table.attentionScale} with the short factors too; ` +
        `ropekit uses ${x.table.short.attentionScale} within L0.`,
    );
  }
  for (const [name, factors] of Object.entries(g.tensors)) {
    tensors.push({ name, dims: [factors.length], data: Float32Array.from(factors) });
    rope[name] = factors;
  }
  if (!(model.tokenizer instanceof SentencePieceBpe)) {
    throw new ExportError(
      "GGUF export needs a SentencePiece vocabulary (llama.cpp will not load a model without one)",
    );
  }
  const vocab = model.tokenizer.vocab;
  const dec = new TextDecoder();
  const control = new Set(vocab.controlIds);
  const space = vocab.spaceSymbol;
  const tokens = vocab.pieces.map((p) => dec.decode(p).split(space).join("\u2581"));
  md["tokenizer.ggml.model"] = { str: "llama" };
  md["tokenizer.ggml.tokens"] = { strs: tokens };
  md["tokenizer.ggml.scores"] = { f32s: Array.from(vocab.scores) };
  // llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte.
  md["tokenizer.ggml.token_type"] = {
    i32s: tokens.map((t, id) =>
      control.has(id) ? 3 : id === 0 && t === "<unk>" ? 2 : /^<0x[0-9A-F]{2}>$/.test(t) ? 6 : 1
    ),
  };
  md["tokenizer.ggml.bos_token_id"] = { u32: c.bosId };
  md["tokenizer.ggml.eos_token_id"] = { u32: c.eosId };
  md["tokenizer.ggml.unknown_token_id"] = { u32: 0 };
  md["tokenizer.ggml.add_bos_token"] = { bool: true };
  const perm = qk(w, x.spec, arch === "phi3" ? "half" : "interleaved");
  const mat = (name: string, rows: number, cols: number, data: Float32Array): F32Tensor => ({
    name,
    dims: [cols, rows],
    data,
  });
  const vec = (name: string, data: Float32Array): F32Tensor => ({ name, dims: [data.length], data });
  tensors.push(
    mat("token_embd.weight", c.vocabSize, c.dim, w.embedding),
    vec("output_norm.weight", w.finalNorm),
  );
  // phi3 in llama.cpp always reads an output matrix; llama falls back to the embedding when tied.
  if (w.classifier !== w.embedding || arch === "phi3") {
    tensors.push(mat("output.weight", c.vocabSize, c.dim, w.classifier));
  }
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  const cat = (...a: Float32Array[]) => {
    const out = new Float32Array(a.reduce((n, x) => n + x.length, 0));
    a.reduce((at, x) => (out.set(x, at), at + x.length), 0);
    return out;
  };
  w.layers.forEach((l, i) => {
    const p = `blk.${i}.`;
    const [wq, wk] = [perm(l.wq, c.nHeads), perm(l.wk, c.nKvHeads)];
    tensors.push(vec(p + "attn_norm.weight", l.attnNorm));
    if (arch === "phi3") {
      tensors.push(
        mat(p + "attn_qkv.weight", q + 2 * kv, c.dim, cat(wq, wk, l.wv)),
        mat(p + "ffn_up.weight", 2 * c.hiddenDim, c.dim, cat(l.wGate, l.wUp)),
      );
    } else {
      tensors.push(
        mat(p + "attn_q.weight", q, c.dim, wq),
        mat(p + "attn_k.weight", kv, c.dim, wk),
        mat(p + "attn_v.weight", kv, c.dim, l.wv),
        mat(p + "ffn_gate.weight", c.hiddenDim, c.dim, l.wGate),
        mat(p + "ffn_up.weight", c.hiddenDim, c.dim, l.wUp),
      );
    }
    tensors.push(
      mat(p + "attn_output.weight", c.dim, q, l.wo),
      vec(p + "ffn_norm.weight", l.ffnNorm),
      mat(p + "ffn_down.weight", c.dim, c.hiddenDim, l.wDown),
    );
  });
  await Deno.mkdir(join(out, ".."), { recursive: true });
  if (quant) md["general.file_type"] = { u32: GGUF_FILE_TYPE[quant] };
  const encode = (t: F32Tensor) => {
    const f32 = f32TensorBytes(t); // checks the shape
    return quant ? encodeExportTensor(t.name, t.dims, t.data, quant, c.nLayers) : f32;
  };
  await Deno.writeFile(out, ggufContainer(md, tensors.map(encode)));
  return { files: [out], rope, notes };
}

/** Exports a model under a strategy; throws {@linkcode ExportError} for what the target cannot express. */
export async function exportModel(opts: ExportOptions): Promise<ExportResult> {
  const registry = opts.registry ?? builtinRegistry();
  const model = opts.loaded ?? await loadModel(opts.model);
  const block = model.config.block ?? {};
  if (Object.values(block).some((v) => v !== undefined)) {
    // The writers lay weights out as Llama; a q/k norm, post-norm, GELU or window would be dropped.
    throw new ExportError(`${model.config.architecture} models are not exported (only the Llama block is)`);
  }
  const name = opts.strategy ?? (model.configRope ? CONFIG_ENTRY : undefined);
  if (name === undefined) {
    throw new ExportError("a strategy is required: the model's files declare no RoPE scaling to export");
  }
  const entry = await resolveEntry(name, { registry, configRope: model.configRope });
  const targetLength = opts.targetLength ?? entry.targetLength ?? model.spec.maxPositions;
  // maxPositions stays the model's: dynamic NTK reads it as the trained length, as HF does.
  const spec = model.spec;
  const table = await buildTable(entry.strategy, spec, { targetLength }, entry.params);
  const x: ExportInput = {
    strategy: entry.strategy.name,
    spec,
    params: { ...entry.params },
    table,
    targetLength,
  };
  // The parameters the strategy resolved to (defaults filled) are what an engine must be told.
  for (const [k, def] of Object.entries(entry.strategy.params)) {
    if (x.params[k] === undefined && def.default !== undefined) x.params[k] = def.default;
  }
  refuseCommon(x);
  if (opts.quant && opts.to !== "gguf") {
    throw new ExportError(`--quant ${opts.quant} is for --to gguf (a Hugging Face export is f32)`);
  }
  const written = opts.to === "hf"
    ? await writeHf(model, x, opts.out, opts.hfFormat ?? "v5")
    : await writeGguf(model, x, opts.out, opts.quant);
  return { to: opts.to, out: opts.out, strategy: x.strategy, params: x.params, targetLength, ...written };
}
