/**
 * Reading a model's Hugging Face `config.json`: the RoPE spec, the strategy and its parameters,
 * standardised the way transformers does it, so the resulting table equals HF's `inv_freq`.
 *
 * @module
 */
import type { Params, RopeSpec, RopeTable } from "./types.ts";
import { type ResolvedRope, resolveFrequencies } from "./table.ts";
import { buildTable, builtinRegistry, HF_ALIASES, type StrategyRegistry } from "./registry.ts";
import { checkSpec } from "./spec.ts";
import { RopekitError } from "../util/errors.ts";

/** Thrown for a config that cannot be read; the message names the field. */
export class ConfigError extends RopekitError {
  /** The class name, spelled out so that a bundler renaming classes cannot change what logs say. */
  override name = "ConfigError";
}

/** A config object as parsed from JSON. */
export type HfConfig = Record<string, unknown>;

/** What a config says, standardised. */
export interface HfRope {
  /** ropekit strategy name (`pi` for HF `linear`, `longrope` for `su`, …). */
  ropeType: string;
  /** The `rope_type`/`type` string as written in the config (`default` when absent). */
  hfRopeType: string;
  /** The model's RoPE geometry read from the config (θ, head and rotary dims, L0, max positions). */
  spec: RopeSpec;
  /** The strategy's parameters as the config gives them (factor, beta_fast, …), HF defaults applied. */
  params: Params;
  /** HF reads this as the target: `max_position_embeddings`. */
  targetLength: number;
}

/** Keys of `rope_parameters` that describe the model rather than the strategy. */
const SPEC_KEYS = new Set([
  "rope_type",
  "type",
  "rope_theta",
  "partial_rotary_factor",
  "original_max_position_embeddings",
]);

/** Keys each HF type reads from `rope_parameters` and which of them HF requires. */
const HF_KEYS: Record<string, { required: string[]; optional: string[] }> = {
  default: { required: [], optional: [] },
  pi: { required: ["factor"], optional: [] },
  "dynamic-ntk": { required: ["factor"], optional: [] },
  yarn: {
    required: ["factor"],
    optional: ["attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate"],
  },
  longrope: { required: ["short_factor", "long_factor"], optional: ["factor", "attention_factor"] },
  llama3: { required: ["factor", "low_freq_factor", "high_freq_factor"], optional: [] },
  // partial_rotary_factor is a parameter here (the encoding stays head-sized): see readHfConfig.
  proportional: { required: [], optional: ["factor"] },
};

/** Types whose `original_max_position_embeddings` HF fills from the config (llama3, yarn, longrope). */
const USES_ORIGINAL = new Set(["llama3", "yarn", "longrope"]);

function num(config: HfConfig, key: string, where = key): number {
  const v = config[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError(`config: "${where}" must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Python truthiness of a JSON value (`{}`, `[]`, `""`, 0, null are false). */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/**
 * Model types whose HF default RoPE honours `partial_rotary_factor` (their
 * `compute_default_rope_parameters` reads it); Llama-style models rotate the whole head by default.
 * Scaled rope types always honour it. Configs without a model_type are treated as honouring it.
 */
const DEFAULT_HONOURS_PARTIAL = new Set([
  "bamba",
  "deepseek_v4",
  "glm",
  "glm4",
  "glm4_moe",
  "glm4v",
  "glm4v_moe",
  "gpt_neox",
  "gpt_neox_japanese",
  "laguna",
  "mellum",
  "mimo_v2_flash",
  "minimax_m2",
  "moonshine",
  "nemotron",
  "persimmon",
  "phi",
  "phi3",
  "phi4_multimodal",
  "qwen3_5",
  "qwen3_5_moe",
  "qwen3_next",
  "recurrent_gemma",
  "stablelm",
  "zaya",
]);

function rawRopeParameters(config: HfConfig): HfConfig {
  // HF: `rope_scaling or rope_parameters` — the legacy key wins when truthy (an empty {} does not).
  const raw = truthy(config.rope_scaling) ? config.rope_scaling : config.rope_parameters;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(
      `config: "rope_scaling"/"rope_parameters" must be an object, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as HfConfig;
}

/**
 * The layer types a transformers 5 `rope_parameters` is nested under (`{"full_attention": {...},
 * "sliding_attention": {...}}`), in the config's order; empty for a flat block. As HF's
 * `nested_rope_parameter_keys`, only keys the config's `layer_types` declares count.
 */
export function hfLayerTypes(config: HfConfig): string[] {
  const labels = Array.isArray(config.layer_types) ? config.layer_types.map(String) : [];
  return Object.keys(rawRopeParameters(config)).filter((k) => labels.includes(k));
}

/**
 * The RoPE block a config describes, as transformers reads it: `rope_scaling or rope_parameters` (Python
 * truthiness: an empty `{}` falls through), and for a block nested per layer type the one of `layerType`
 * (default: the full-attention layers). The one reader of that block for every module.
 */
export function hfRopeBlock(config: HfConfig, layerType?: string): HfConfig {
  const raw = rawRopeParameters(config);
  const nested = hfLayerTypes(config);
  if (nested.length === 0) {
    if (layerType !== undefined) {
      throw new ConfigError(`config: layer type "${layerType}" given but rope_parameters is not nested`);
    }
    return { ...raw };
  }
  // The full-attention layers carry the long-context RoPE; they are what a single answer describes.
  const chosen = layerType ?? (nested.includes("full_attention") ? "full_attention" : nested[0]);
  const block = raw[chosen];
  if (!nested.includes(chosen)) {
    throw new ConfigError(
      `config: rope_parameters has no layer type "${chosen}" (has: ${nested.join(", ")})`,
    );
  }
  if (block === null || typeof block !== "object" || Array.isArray(block)) {
    throw new ConfigError(
      `config: rope_parameters["${chosen}"] must be an object, got ${JSON.stringify(block)}`,
    );
  }
  return { ...(block as HfConfig) };
}

function ropeTypeOf(config: HfConfig, rp: HfConfig): string {
  const t = rp.rope_type ?? rp.type ?? "default";
  if (typeof t !== "string") {
    throw new ConfigError(`config: "rope_type" must be a string, got ${JSON.stringify(t)}`);
  }
  // Phi3Config maps the legacy "su" and "yarn" names to longrope.
  if (config.model_type === "phi3" && t === "yarn") return "longrope";
  return t;
}

/**
 * Standardises an HF config into a spec, a strategy name and parameters, as transformers'
 * `standardize_rope_params` does: θ from `rope_parameters` else the top level (default 10000),
 * `head_dim` else `hidden_size // num_attention_heads`, rotary dim `int(head_dim · partial_rotary_factor)`,
 * and for llama3/yarn/longrope an L0 taken from a top-level `original_max_position_embeddings` (Phi-3
 * style, which wins), else from `rope_parameters`, else `max_position_embeddings`.
 *
 * Types ropekit adds (`ntk`, `longrope2`, plugins) take every other key of `rope_parameters` as a
 * parameter. Missing required keys throw, naming the key.
 */
export function readHfConfig(
  config: HfConfig,
  registry: StrategyRegistry = builtinRegistry(),
  layerType?: string,
): HfRope {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError("config: expected a JSON object");
  }
  const rp = hfRopeBlock(config, layerType);
  const hfRopeType = ropeTypeOf(config, rp);
  if (!registry.has(hfRopeType)) {
    throw new ConfigError(
      `config: unknown rope_type "${hfRopeType}" (known: ${
        [...Object.keys(HF_ALIASES), ...registry.list().map((s) => s.name)].join(", ")
      })`,
    );
  }
  const ropeType = registry.get(hfRopeType).name;

  const maxPositions = num(config, "max_position_embeddings");
  const theta = rp.rope_theta ?? config.rope_theta ?? 10000;
  if (typeof theta !== "number" || !Number.isFinite(theta)) {
    throw new ConfigError(`config: "rope_theta" must be a finite number, got ${JSON.stringify(theta)}`);
  }
  // DeepSeek V2/V3 rotate only the qk_rope_head_dim part of each head; HF reads that as head_dim.
  const ropeHead = String(config.model_type ?? "").startsWith("deepseek_v")
    ? config.qk_rope_head_dim
    : undefined;
  // Gemma 4's full-attention layers use their own, wider heads (HF per_layer_config: global_head_dim).
  const globalHead = String(config.model_type ?? "").startsWith("gemma4") &&
      (layerType ?? "full_attention") === "full_attention" && hfLayerTypes(config).length > 0
    ? config.global_head_dim ?? 512
    : undefined;
  const headDim = ropeHead || globalHead || config.head_dim ||
    Math.floor(num(config, "hidden_size") / num(config, "num_attention_heads"));
  if (typeof headDim !== "number" || !Number.isInteger(headDim) || headDim <= 0) {
    throw new ConfigError(`config: "head_dim" must be a positive integer, got ${JSON.stringify(headDim)}`);
  }
  const ignoresPartial = ropeType === "default" && config.model_type !== undefined &&
    !DEFAULT_HONOURS_PARTIAL.has(String(config.model_type));
  const partial = ignoresPartial ? 1 : rp.partial_rotary_factor ?? config.partial_rotary_factor ?? 1;
  if (typeof partial !== "number" || !(partial > 0 && partial <= 1)) {
    throw new ConfigError(
      `config: "partial_rotary_factor" must be in (0, 1], got ${JSON.stringify(partial)}`,
    );
  }
  // Proportional RoPE keeps a head-sized encoding; its fraction is a parameter (pairs past it get 0).
  const rotaryDim = ropeType === "proportional" ? headDim : Math.trunc(headDim * partial);

  let original = rp.original_max_position_embeddings ?? maxPositions;
  if (USES_ORIGINAL.has(ropeType)) {
    // A top-level value (Phi-3 style; Phi3Config defaults it to 4096) overrides rope_parameters.
    const top = config.original_max_position_embeddings ?? (config.model_type === "phi3" ? 4096 : undefined);
    if (top !== undefined) original = top;
  }
  if (typeof original !== "number" || !Number.isInteger(original) || original <= 0) {
    throw new ConfigError(
      `config: "original_max_position_embeddings" must be a positive integer, got ${
        JSON.stringify(original)
      }`,
    );
  }

  let spec: RopeSpec;
  try {
    spec = checkSpec({
      theta,
      headDim,
      rotaryDim,
      originalContext: original,
      maxPositions,
      pairing: "half",
    });
  } catch (e) {
    throw new ConfigError(`config: ${(e as Error).message}`);
  }

  const params = strategyParams(ropeType, rp);
  if (ropeType === "proportional") params.partial_rotary_factor = partial;
  // Only DeepSeek-V2/V3's attention applies mscale_all_dim to the softmax (`yarn_apply_mscale`).
  if (ropeType === "yarn") params.softmax_mscale = /^deepseek_v[23]$/.test(String(config.model_type ?? ""));
  return { ropeType, hfRopeType, spec, params, targetLength: maxPositions };
}

function strategyParams(ropeType: string, rp: HfConfig): Params {
  const keys = HF_KEYS[ropeType];
  const params: Params = {};
  if (!keys) {
    for (const [k, v] of Object.entries(rp)) {
      if (!SPEC_KEYS.has(k) && v !== null) params[k] = v as Params[string];
    }
    return params;
  }
  for (const k of keys.required) {
    if (!(k in rp)) {
      throw new ConfigError(`config: rope_scaling for "${ropeType}" is missing required key "${k}"`);
    }
  }
  for (const k of [...keys.required, ...keys.optional]) {
    const v = rp[k];
    if (v === null || v === undefined) continue; // HF: a null factor or attention_factor means "derive it"
    if (ropeType === "yarn" && (k === "beta_fast" || k === "beta_slow") && !v) continue; // Python `or` default
    params[k] = v as Params[string];
  }
  return params;
}

/** The table HF builds for a config, plus which set its init function returns for `seqLen`. */
export interface HfRopeTable extends HfRope {
  /** The table transformers builds: long and short sets where the strategy has both. */
  table: RopeTable;
  /** HF's `rope_init_fn(config, device, seq_len)` result: longrope picks long iff seq_len > L0. */
  chosen: ResolvedRope;
}

/** Options of {@linkcode ropeFromHfConfig}. */
export interface RopeFromConfigOptions {
  /** HF's `seq_len`: picks LongRoPE's long set (when > L0) and dynamic NTK's length. */
  seqLen?: number;
  /** Apply this strategy instead of the config's own (the config must not carry rope_scaling). */
  strategy?: string;
  /** Parameters for `strategy`. */
  params?: Params;
  /** For a config whose `rope_parameters` is nested per layer type: which one (default full_attention). */
  layerType?: string;
  /** Extension target for `strategy` (default: `max_position_embeddings`). */
  targetLength?: number;
  /** Where `strategy` is looked up (plugins registered there included); default the built-ins. */
  registry?: StrategyRegistry;
}

/**
 * Builds the table a config describes — or, with `strategy`, the table that strategy gives for the
 * config's model. Absent `seqLen`, HF's init-time behaviour applies (LongRoPE: short set) — except with
 * `strategy`, which builds for sequences of the target length.
 *
 * @example The frequencies transformers builds for a Llama 3.1 config
 * ```ts
 * import assert from "node:assert/strict";
 * import { ropeFromHfConfig } from "./hf_config.ts";
 * import { factorsOf } from "./export.ts";
 *
 * const config = {
 *   hidden_size: 4096,
 *   num_attention_heads: 32,
 *   max_position_embeddings: 131072,
 *   rope_theta: 500000,
 *   rope_scaling: {
 *     rope_type: "llama3",
 *     factor: 8,
 *     low_freq_factor: 1,
 *     high_freq_factor: 4,
 *     original_max_position_embeddings: 8192,
 *   },
 * };
 * const rope = await ropeFromHfConfig(config);
 * assert.equal(rope.ropeType, "llama3");
 * assert.equal(rope.spec.originalContext, 8192);
 * const factors = factorsOf(rope.spec, rope.chosen.invFreq);
 * assert.ok(Math.abs(factors[0] - 1) < 1e-6); // fast pairs keep their frequency
 * assert.ok(Math.abs(factors[63] - 8) < 1e-6); // slow pairs are interpolated by the factor
 * ```
 */
export async function ropeFromHfConfig(
  config: HfConfig,
  opts: RopeFromConfigOptions = {},
): Promise<HfRopeTable> {
  const registry = opts.registry ?? builtinRegistry();
  const rope = readHfConfig(config, registry, opts.layerType);
  if (opts.strategy !== undefined) {
    if (rope.hfRopeType !== "default") {
      throw new ConfigError(
        `config already has rope_scaling of type "${rope.hfRopeType}"; remove it to apply strategy "${opts.strategy}"`,
      );
    }
    rope.ropeType = registry.get(opts.strategy).name;
    rope.params = opts.params ?? {};
  }
  if (opts.targetLength !== undefined) rope.targetLength = opts.targetLength;
  // Applying a strategy means "extend to the target": absent a seq_len, build (and choose) for it.
  const seqLen = opts.seqLen ?? (opts.strategy !== undefined ? rope.targetLength : undefined);
  const strategy = registry.get(rope.ropeType);
  let table: RopeTable;
  try {
    table = await buildTable(
      strategy,
      rope.spec,
      { targetLength: rope.targetLength, seqLen },
      rope.params,
    );
  } catch (e) {
    // The cause is kept: a plugin's timeout or crash is not the config's fault, and callers tell.
    throw new ConfigError(`config: ${(e as Error).message}`, { cause: e });
  }
  return { ...rope, table, chosen: resolveFrequencies(table, seqLen ?? 0) };
}
