/**
 * Hugging Face model folders: `config.json`, `model.safetensors` or shards listed in
 * `model.safetensors.index.json`, and `tokenizer.json`. Every family of `architecture.ts` (Llama,
 * Mistral, Qwen2 with q/k/v biases, Qwen3, Phi-3 with fused `qkv_proj`/`gate_up_proj` and partial
 * rotary, OLMo 2, Gemma 3 text) loads into one weight layout plus the block shape its row describes.
 *
 * @module
 */
import { join } from "node:path";
import type { RopeSpec } from "../strategies/types.ts";
import { type HfConfig, hfLayerTypes, hfRopeBlock, ropeFromHfConfig } from "../strategies/hf_config.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import { configuredRopeFromHf } from "../strategies/config_rope.ts";
import { type BlockShape, FAMILIES, type Family } from "./architecture.ts";
import { checkWeightShapes, type LlamaConfig, type LlamaWeights, ModelFormatError } from "./config.ts";
import type { LoadedFiles } from "./gguf_model.ts";
import { HfJsonTokenizer } from "./hf_tokenizer.ts";
import { parseSafetensors } from "./safetensors.ts";
import { UnsupportedTokenizer } from "./unsupported_tokenizer.ts";
import { pathExists } from "../util/path_exists.ts";

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

/** Loads every tensor of the folder's safetensors file(s). */
async function loadTensors(dir: string): Promise<Map<string, Float32Array>> {
  const tensors = new Map<string, Float32Array>();
  const index = join(dir, "model.safetensors.index.json");
  const files = await pathExists(index)
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

/** The family of a config, or a one-line error naming what is missing. */
function familyOf(cfg: Json, source: string): Family {
  const arch = String(cfg.model_type);
  const family = FAMILIES[arch];
  const supported = Object.keys(FAMILIES).join(", ");
  if (!family) {
    const hint = arch === "gemma3"
      ? ' (the multimodal wrapper; its text model "gemma3_text" is supported)'
      : "";
    throw new ModelFormatError(
      `${source}: model_type "${arch}" is not supported${hint} (supported: ${supported})`,
    );
  }
  for (const [key, need] of Object.entries(family.unsupported ?? {})) {
    const v = cfg[key];
    if (v !== undefined && v !== need && !(need === false && v === null)) {
      throw new ModelFormatError(
        `${source}: ${arch} with "${key}": ${JSON.stringify(v)} is not supported (ropekit runs ${
          JSON.stringify(need)
        })`,
      );
    }
  }
  return family;
}

/** The block shape of a config: the family's, plus its sliding-window layers and (Gemma 3) query scalar. */
function blockShape(cfg: Json, family: Family, nLayers: number, source: string): BlockShape {
  const shape: BlockShape = { ...family.shape };
  if (family.queryPreAttnScalar) shape.softmaxScale = int(cfg, "query_pre_attn_scalar", source) ** -0.5;
  const window = () => int(cfg, "sliding_window", source);
  if (family.windows === "all" && typeof cfg.sliding_window === "number") {
    shape.layerTypes = new Array(nLayers).fill("sliding");
    shape.slidingWindow = window();
  }
  if (family.windows === "layer_types" && Array.isArray(cfg.layer_types)) {
    const types = cfg.layer_types.map(String);
    if (types.length !== nLayers || types.some((t) => t !== "full_attention" && t !== "sliding_attention")) {
      throw new ModelFormatError(
        `${source}: "layer_types" must list ${nLayers} of full_attention / sliding_attention`,
      );
    }
    shape.layerTypes = types.map((t) => t === "sliding_attention" ? "sliding" : "full");
    if (types.includes("sliding_attention")) shape.slidingWindow = window();
  }
  return shape;
}

/** Reads an HF model folder. */
export async function loadHfDirectory(dir: string): Promise<LoadedFiles> {
  const source = join(dir, "config.json");
  const cfg = await readJson(source);
  const arch = String(cfg.model_type);
  const family = familyOf(cfg, source);
  const dim = int(cfg, "hidden_size", source);
  const nHeads = int(cfg, "num_attention_heads", source);
  const headDim = int(cfg, "head_dim", source, dim / nHeads);
  const nLayers = int(cfg, "num_hidden_layers", source);
  const config: LlamaConfig = {
    architecture: arch,
    dim,
    hiddenDim: int(cfg, "intermediate_size", source),
    nLayers,
    nHeads,
    nKvHeads: int(cfg, "num_key_value_heads", source, nHeads),
    headDim,
    vocabSize: int(cfg, "vocab_size", source),
    normEps: int(cfg, "rms_norm_eps", source, 1e-6),
    bosId: firstId(cfg.bos_token_id, 1),
    eosId: firstId(cfg.eos_token_id, 2),
    block: blockShape(cfg, family, nLayers, source),
  };
  const tensors = await loadTensors(dir);
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new ModelFormatError(`${dir}: tensor ${name} is missing`);
    return t;
  };
  // Gemma stores norm weights w of a norm that multiplies by (1 + w): add the 1 once here.
  const norm = (name: string) => family.normPlusOne ? get(name).map((w) => w + 1) : get(name);
  const optionalNorm = (name: string | undefined) => name === undefined ? undefined : norm(name + ".weight");
  const qRows = nHeads * headDim, kvRows = config.nKvHeads * headDim, hidden = config.hiddenDim;
  const n = family.norms, qkNorm = family.shape.qkNorm !== undefined;
  const layers = Array.from({ length: config.nLayers }, (_, l) => {
    const p = `model.layers.${l}.`;
    // Phi-3 stacks q, k, v rows in qkv_proj and gate, up rows in gate_up_proj.
    const qkv = tensors.get(p + "self_attn.qkv_proj.weight");
    const gateUp = tensors.get(p + "mlp.gate_up_proj.weight");
    return {
      attnNorm: norm(p + n.attn + ".weight"),
      wq: qkv ? qkv.subarray(0, qRows * dim) : get(p + "self_attn.q_proj.weight"),
      wk: qkv ? qkv.subarray(qRows * dim, (qRows + kvRows) * dim) : get(p + "self_attn.k_proj.weight"),
      wv: qkv ? qkv.subarray((qRows + kvRows) * dim) : get(p + "self_attn.v_proj.weight"),
      wo: get(p + "self_attn.o_proj.weight"),
      bq: tensors.get(p + "self_attn.q_proj.bias"),
      bk: tensors.get(p + "self_attn.k_proj.bias"),
      bv: tensors.get(p + "self_attn.v_proj.bias"),
      ffnNorm: norm(p + n.ffn + ".weight"),
      wGate: gateUp ? gateUp.subarray(0, hidden * dim) : get(p + "mlp.gate_proj.weight"),
      wUp: gateUp ? gateUp.subarray(hidden * dim) : get(p + "mlp.up_proj.weight"),
      wDown: get(p + "mlp.down_proj.weight"),
      qNorm: qkNorm ? norm(p + "self_attn.q_norm.weight") : undefined,
      kNorm: qkNorm ? norm(p + "self_attn.k_norm.weight") : undefined,
      postAttnNorm: optionalNorm(n.postAttn && p + n.postAttn),
      postFfnNorm: optionalNorm(n.postFfn && p + n.postFfn),
    };
  });
  const embedding = get("model.embed_tokens.weight");
  // Gemma scales the input embedding by sqrt(hidden) (a float32 constant); a tied classifier is not scaled.
  const embedScale = Math.fround(Math.sqrt(dim));
  const weights: LlamaWeights = {
    config,
    embedding: family.embedScale ? embedding.map((e) => e * embedScale) : embedding,
    layers,
    finalNorm: norm("model.norm.weight"),
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
  return {
    weights,
    spec,
    tokenizer: await hfTokenizer(dir, config),
    configRope: ropeOf(() => configuredRopeFromHf(cfg as HfConfig, `${source} rope_parameters`), source),
    localRope: family.localRope && config.block?.layerTypes?.includes("sliding")
      ? await localRope(cfg, spec, source)
      : undefined,
  };
}

/**
 * The sliding layers' RoPE, applied as declared whatever strategy the full layers get: transformers 5's
 * `rope_parameters["sliding_attention"]`, or (a v4 config, flat rope_scaling) plain RoPE with base
 * `rope_local_base_freq`.
 */
async function localRope(cfg: Json, spec: RopeSpec, source: string) {
  try {
    if (hfLayerTypes(cfg as HfConfig).includes("sliding_attention")) {
      const local = await ropeFromHfConfig(cfg as HfConfig, { layerType: "sliding_attention" });
      return { spec: local.spec, table: local.table };
    }
    const local = { ...spec, theta: int(cfg, "rope_local_base_freq", source, 10000) };
    return { spec: local, table: await buildTable(builtinRegistry().get("default"), local) };
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${source}: sliding layers' RoPE: ${(e as Error).message}`);
  }
}

/** Runs a RoPE reader, turning its errors into the loader's, which name the file. */
function ropeOf<T>(read: () => T, source: string): T {
  try {
    return read();
  } catch (e) {
    throw new ModelFormatError(`${source}: ${(e as Error).message}`);
  }
}

async function hfTokenizer(dir: string, config: LlamaConfig) {
  const path = join(dir, "tokenizer.json");
  if (!(await pathExists(path))) {
    return new UnsupportedTokenizer(`${dir}: no tokenizer.json; pass --tokens instead of text`, config);
  }
  const cfgPath = join(dir, "tokenizer_config.json");
  const tokCfg = (await pathExists(cfgPath)) ? await readJson(cfgPath) : {};
  return new HfJsonTokenizer(await readJson(path), tokCfg, config.bosId, config.eosId);
}
