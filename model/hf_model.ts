/**
 * Hugging Face model folders: `config.json`, `model.safetensors` or shards listed in
 * `model.safetensors.index.json`, and `tokenizer.json`. Llama/Mistral, Qwen2 (q/k/v biases) and
 * Phi-3 (fused `qkv_proj` and `gate_up_proj`, partial rotary) share one weight layout after loading.
 *
 * @module
 */
import { join } from "node:path";
import type { RopeSpec } from "../strategies/types.ts";
import { type HfConfig, hfRopeBlock } from "../strategies/hf_config.ts";
import { checkWeightShapes, type LlamaConfig, type LlamaWeights, ModelFormatError } from "./config.ts";
import type { LoadedFiles } from "./gguf_model.ts";
import { HfJsonTokenizer } from "./hf_tokenizer.ts";
import { parseSafetensors } from "./safetensors.ts";
import { UnsupportedTokenizer } from "./unsupported_tokenizer.ts";

const ARCHITECTURES = ["llama", "mistral", "qwen2", "phi3"];

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ModelFormatError(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Loads every tensor of the folder's safetensors file(s). */
async function loadTensors(dir: string): Promise<Map<string, Float32Array>> {
  const tensors = new Map<string, Float32Array>();
  const index = join(dir, "model.safetensors.index.json");
  const files = await exists(index)
    ? [...new Set(Object.values((await readJson(index)).weight_map as Record<string, string>))]
    : ["model.safetensors"];
  for (const f of files) {
    const path = join(dir, f);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      throw new ModelFormatError(`${path}: cannot read (${(e as Error).message})`);
    }
    parseSafetensors(bytes, path, tensors);
  }
  return tensors;
}

function int(cfg: Json, key: string, source: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== "number") throw new ModelFormatError(`${source}: "${key}" is missing or not a number`);
  return v;
}

/** A single id from a config field that may hold a number or a list (Llama 3's eos_token_id). */
function firstId(v: unknown, fallback: number): number {
  return typeof v === "number" ? v : Array.isArray(v) && typeof v[0] === "number" ? v[0] : fallback;
}

/** Reads an HF model folder. */
export async function loadHfDirectory(dir: string): Promise<LoadedFiles> {
  const source = join(dir, "config.json");
  const cfg = await readJson(source);
  const arch = String(cfg.model_type);
  if (!ARCHITECTURES.includes(arch)) {
    throw new ModelFormatError(
      `${source}: model_type "${arch}" is not supported (supported: ${ARCHITECTURES.join(", ")})`,
    );
  }
  const dim = int(cfg, "hidden_size", source);
  const nHeads = int(cfg, "num_attention_heads", source);
  const headDim = int(cfg, "head_dim", source, dim / nHeads);
  const config: LlamaConfig = {
    architecture: arch,
    dim,
    hiddenDim: int(cfg, "intermediate_size", source),
    nLayers: int(cfg, "num_hidden_layers", source),
    nHeads,
    nKvHeads: int(cfg, "num_key_value_heads", source, nHeads),
    headDim,
    vocabSize: int(cfg, "vocab_size", source),
    normEps: int(cfg, "rms_norm_eps", source, 1e-6),
    bosId: firstId(cfg.bos_token_id, 1),
    eosId: firstId(cfg.eos_token_id, 2),
  };
  const tensors = await loadTensors(dir);
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new ModelFormatError(`${dir}: tensor ${name} is missing`);
    return t;
  };
  const qRows = nHeads * headDim, kvRows = config.nKvHeads * headDim, hidden = config.hiddenDim;
  const layers = Array.from({ length: config.nLayers }, (_, l) => {
    const p = `model.layers.${l}.`;
    // Phi-3 stacks q, k, v rows in qkv_proj and gate, up rows in gate_up_proj.
    const qkv = tensors.get(p + "self_attn.qkv_proj.weight");
    const gateUp = tensors.get(p + "mlp.gate_up_proj.weight");
    return {
      attnNorm: get(p + "input_layernorm.weight"),
      wq: qkv ? qkv.subarray(0, qRows * dim) : get(p + "self_attn.q_proj.weight"),
      wk: qkv ? qkv.subarray(qRows * dim, (qRows + kvRows) * dim) : get(p + "self_attn.k_proj.weight"),
      wv: qkv ? qkv.subarray((qRows + kvRows) * dim) : get(p + "self_attn.v_proj.weight"),
      wo: get(p + "self_attn.o_proj.weight"),
      bq: tensors.get(p + "self_attn.q_proj.bias"),
      bk: tensors.get(p + "self_attn.k_proj.bias"),
      bv: tensors.get(p + "self_attn.v_proj.bias"),
      ffnNorm: get(p + "post_attention_layernorm.weight"),
      wGate: gateUp ? gateUp.subarray(0, hidden * dim) : get(p + "mlp.gate_proj.weight"),
      wUp: gateUp ? gateUp.subarray(hidden * dim) : get(p + "mlp.up_proj.weight"),
      wDown: get(p + "mlp.down_proj.weight"),
    };
  });
  const embedding = get("model.embed_tokens.weight");
  const weights: LlamaWeights = {
    config,
    embedding,
    layers,
    finalNorm: get("model.norm.weight"),
    classifier: tensors.get("lm_head.weight") ?? embedding,
  };
  checkWeightShapes(weights, dir);
  // transformers 5 writes rope_parameters with rope_theta and partial_rotary_factor inside (nested per
  // layer type for some models: the full-attention layers' block, as strategies/ reads it).
  const scaling = hfRopeBlock(cfg as HfConfig) as Json;
  const maxPositions = int(cfg, "max_position_embeddings", source, 2048);
  const spec: RopeSpec = {
    theta: int(scaling, "rope_theta", source, int(cfg, "rope_theta", source, 10000)),
    headDim,
    rotaryDim: Math.round(
      headDim * int(scaling, "partial_rotary_factor", source, int(cfg, "partial_rotary_factor", source, 1)),
    ),
    // HF's standardisation: rope_scaling's original length, else Phi-3's top-level field, else M.
    originalContext: int(
      scaling,
      "original_max_position_embeddings",
      source,
      int(cfg, "original_max_position_embeddings", source, maxPositions),
    ),
    maxPositions,
    pairing: "half", // HF's rotate_half layout
  };
  return { weights, spec, tokenizer: await hfTokenizer(dir, config) };
}

async function hfTokenizer(dir: string, config: LlamaConfig) {
  const path = join(dir, "tokenizer.json");
  if (!(await exists(path))) {
    return new UnsupportedTokenizer(`${dir}: no tokenizer.json; pass --tokens instead of text`, config);
  }
  const cfgPath = join(dir, "tokenizer_config.json");
  const tokCfg = (await exists(cfgPath)) ? await readJson(cfgPath) : {};
  return new HfJsonTokenizer(await readJson(path), tokCfg, config.bosId, config.eosId);
}
