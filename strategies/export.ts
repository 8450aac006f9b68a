/**
 * Exporting a strategy's result for other runtimes: the `rope_scaling` block transformers and vLLM
 * read, and llama.cpp's GGUF keys and tensors. Anything a target cannot express exactly is either
 * expressed through per-pair factors (`longrope` / `rope_freqs`) or listed in `notes`.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";
import type { Params, RopeSpec, RopeTable } from "./types.ts";
import { baseInvFreq } from "./float32.ts";
import { longropeAttentionFactor } from "./common.ts";
import { criticalIndex, longrope2Factors } from "./longrope2.ts";
import { yarnSeedFactors } from "./longrope.ts";

/** What to export: the strategy's name, its resolved parameters and its table. */
export interface ExportInput {
  /** The strategy's ropekit name. */
  strategy: string;
  /** The model's RoPE the table was built for. */
  spec: RopeSpec;
  /** The strategy's resolved parameters. */
  params: Params;
  /** The table to express in the engine's terms. */
  table: RopeTable;
  /** The extended context (written as `max_position_embeddings`). */
  targetLength: number;
}

/** For a model's config.json. */
export interface HfExport {
  /** The block to paste as `rope_scaling` (null: no scaling). */
  rope_scaling: Record<string, unknown> | null;
  /** Top-level fields to set beside it. */
  max_position_embeddings: number;
  /** What the block does not carry exactly. */
  notes: string[];
}

/** For llama.cpp: metadata keys (with `{arch}` to substitute) and per-pair tensors. */
export interface GgufExport {
  /** GGUF metadata keys and values (`{arch}` stands for the architecture). */
  keys: Record<string, number | string>;
  /** Per-pair tensors (e.g. `rope_freqs.weight`) by name. */
  tensors: Record<string, number[]>;
  /** What the keys do not carry exactly. */
  notes: string[];
}

/** Per-pair factors λ_i = θ_i / θ'_i of a frequency set (how every table can be expressed). */
export function factorsOf(spec: RopeSpec, invFreq: ArrayLike<number>): number[] {
  const base = baseInvFreq(spec.theta, spec.rotaryDim);
  return Array.from(base, (b, i) => b / invFreq[i]);
}

function num(params: Params, key: string): number | undefined {
  return typeof params[key] === "number" ? params[key] as number : undefined;
}

function longropeBlock(x: ExportInput, long: number[], short: number[]): Record<string, unknown> {
  const s = x.targetLength / x.spec.originalContext;
  const block: Record<string, unknown> = {
    rope_type: "longrope",
    factor: s,
    original_max_position_embeddings: x.spec.originalContext,
    long_factor: long,
    short_factor: short,
  };
  if (Math.abs(x.table.attentionScale - longropeAttentionFactor(s, x.spec.originalContext)) > 1e-15) {
    block.attention_factor = x.table.attentionScale;
  }
  return block;
}

/**
 * The HF/vLLM `rope_scaling` block for a strategy's result.
 *
 * @example YaRN from 4096 to 16384 tokens as a config.json block
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHfRopeScaling } from "./export.ts";
 * import { buildTable, builtinRegistry } from "./registry.ts";
 * import { resolveParams } from "./params.ts";
 * import { makeSpec } from "./spec.ts";
 *
 * const spec = makeSpec({ headDim: 128, originalContext: 4096 });
 * const yarn = builtinRegistry().get("yarn");
 * const params = resolveParams("yarn", yarn.params, {}, spec);
 * const table = await buildTable(yarn, spec, { targetLength: 16384 }, params);
 * const hf = toHfRopeScaling({ strategy: "yarn", spec, params, table, targetLength: 16384 });
 * assert.equal(hf.rope_scaling?.rope_type, "yarn");
 * assert.equal(hf.rope_scaling?.factor, 4);
 * assert.equal(hf.max_position_embeddings, 16384);
 * ```
 */
export function toHfRopeScaling(x: ExportInput): HfExport {
  const notes: string[] = [];
  const p = x.params;
  const l0 = x.spec.originalContext;
  const factor = num(p, "factor") ?? x.targetLength / l0;
  let block: Record<string, unknown> | null;
  switch (x.strategy) {
    case "default":
      block = null;
      break;
    case "pi":
      block = { rope_type: "linear", factor };
      break;
    case "dynamic-ntk":
      block = { rope_type: "dynamic", factor };
      notes.push("HF reads max_position_embeddings as the trained length for dynamic NTK: keep it at L0.");
      return { rope_scaling: block, max_position_embeddings: x.spec.maxPositions, notes };
    case "yarn":
      block = { rope_type: "yarn", factor, original_max_position_embeddings: l0 };
      for (const k of ["beta_fast", "beta_slow", "attention_factor", "mscale", "mscale_all_dim"]) {
        if (p[k] !== undefined) block[k] = p[k];
      }
      if (p.truncate === false) block.truncate = false;
      if (x.table.softmaxScale !== undefined && x.table.softmaxScale !== 1) {
        // Llama-family HF/vLLM models never apply mscale_all_dim to the softmax: fold it into the cos/sin
        // factor (exact when every channel rotates: the logits scale by the square of the factor).
        if (x.spec.rotaryDim !== x.spec.headDim) {
          throw new ExportError(
            "yarn's mscale_all_dim softmax scale cannot be expressed for a Llama-family model with partial rotary",
          );
        }
        delete block.mscale;
        delete block.mscale_all_dim;
        block.attention_factor = x.table.attentionScale * Math.sqrt(x.table.softmaxScale);
        notes.push(
          "mscale_all_dim's softmax scale folded into attention_factor (Llama-family models ignore it).",
        );
      }
      break;
    case "proportional":
      block = { rope_type: "proportional", partial_rotary_factor: p.partial_rotary_factor };
      if (p.factor !== undefined && p.factor !== 1) block.factor = p.factor;
      notes.push("proportional is a transformers 5 rope_type: older readers do not know it.");
      break;
    case "llama3":
      block = {
        rope_type: "llama3",
        factor,
        low_freq_factor: p.low_freq_factor,
        high_freq_factor: p.high_freq_factor,
        original_max_position_embeddings: l0,
      };
      break;
    case "longrope":
      block = longropeBlock(
        x,
        // No explicit factors: the strategy's own default, the YaRN-shaped seed of the search.
        (p.long_factor as number[] | undefined) ?? yarnSeedFactors(x.spec, factor),
        (p.short_factor as number[] | undefined) ?? ones(x.spec),
      );
      if (x.table.startTokens) notes.push("start_tokens has no HF equivalent and is dropped.");
      break;
    default: {
      // ntk, longrope2, plugins: per-pair factors reproduce the frequencies exactly. LongRoPE2's own
      // factors are written as given (grid values like 2.1), not re-derived through float32.
      const long = x.strategy === "longrope2"
        ? longrope2Factors(x.spec, factor, criticalIndex(x.spec, p), p.long_factor as number[] | undefined)
        : factorsOf(x.spec, x.table.invFreq);
      const short = x.table.short ? factorsOf(x.spec, x.table.short.invFreq) : long;
      block = longropeBlock(x, long, short);
      if (x.table.short && x.table.short.attentionScale !== x.table.attentionScale) {
        notes.push(
          `HF applies attention_factor ${x.table.attentionScale} within L0 too; ropekit uses ` +
            `${x.table.short.attentionScale} there (vLLM: set short_mscale to match).`,
        );
      }
      if (x.table.lengthDependent) notes.push("length-dependent table exported at the target length only.");
    }
  }
  return { rope_scaling: block, max_position_embeddings: x.targetLength, notes };
}

/** Thrown for a strategy result a target engine cannot express; the message says why. */
export class ExportError extends RopekitError {}

/** Which transformers config layout to write: v4 `rope_scaling` + top-level θ, or v5 `rope_parameters`. */
export type HfFormat = "v4" | "v5";

/**
 * The RoPE fields of a config.json: `max_position_embeddings` and either (v4) `rope_theta`,
 * `partial_rotary_factor` and `rope_scaling`, or (v5) one `rope_parameters` block holding
 * `rope_type`, `rope_theta` and `partial_rotary_factor` with the strategy's keys.
 */
export function hfConfigFields(
  x: ExportInput,
  format: HfFormat,
): { fields: Record<string, unknown>; notes: string[] } {
  const { rope_scaling, max_position_embeddings, notes } = toHfRopeScaling(x);
  const partial = x.spec.rotaryDim / x.spec.headDim;
  const block = rope_scaling ?? { rope_type: "default" };
  if (format === "v4") {
    const fields: Record<string, unknown> = {
      max_position_embeddings,
      rope_theta: x.spec.theta,
      rope_scaling,
    };
    if (partial !== 1) fields.partial_rotary_factor = partial;
    return { fields, notes };
  }
  const rp: Record<string, unknown> = { rope_type: block.rope_type, rope_theta: x.spec.theta };
  if (partial !== 1) rp.partial_rotary_factor = partial;
  for (const [k, v] of Object.entries(block)) if (k !== "rope_type") rp[k] = v;
  return { fields: { max_position_embeddings, rope_parameters: rp }, notes };
}

/**
 * A transformers 5 `rope_parameters` nested per layer type (Gemma-style): one v5 block per layer type.
 * The config must also list the types in `layer_types` for readers to see the nesting.
 */
export function hfLayeredConfigFields(
  byLayerType: Record<string, ExportInput>,
): { fields: Record<string, unknown>; notes: string[] } {
  const rope_parameters: Record<string, unknown> = {};
  const notes: string[] = [];
  let max = 0;
  for (const [layerType, x] of Object.entries(byLayerType)) {
    const one = hfConfigFields(x, "v5");
    rope_parameters[layerType] = one.fields.rope_parameters;
    max = Math.max(max, one.fields.max_position_embeddings as number);
    notes.push(...one.notes.map((n) => `${layerType}: ${n}`));
  }
  return { fields: { max_position_embeddings: max, rope_parameters }, notes };
}

function ones(spec: RopeSpec): number[] {
  return new Array(spec.rotaryDim / 2).fill(1);
}

/** llama.cpp GGUF metadata (`{arch}` stands for the architecture prefix) and factor tensors. */
export function toGguf(x: ExportInput): GgufExport {
  const l0 = x.spec.originalContext;
  const keys: Record<string, number | string> = {
    "{arch}.rope.freq_base": x.spec.theta,
    "{arch}.rope.dimension_count": x.spec.rotaryDim,
    "{arch}.context_length": x.targetLength,
  };
  const tensors: Record<string, number[]> = {};
  const notes: string[] = [];
  const factor = num(x.params, "factor") ?? x.targetLength / l0;
  const scaled = (type: string) => {
    keys["{arch}.rope.scaling.type"] = type;
    keys["{arch}.rope.scaling.factor"] = factor;
    keys["{arch}.rope.scaling.original_context_length"] = l0;
  };
  switch (x.strategy) {
    case "default":
      keys["{arch}.rope.scaling.type"] = "none";
      break;
    case "pi":
      scaled("linear");
      break;
    case "ntk": // a pure base change: exact in llama.cpp without any scaling type
      keys["{arch}.rope.freq_base"] = x.spec.theta *
        Math.pow(factor, x.spec.rotaryDim / (x.spec.rotaryDim - 2));
      keys["{arch}.rope.scaling.type"] = "none";
      break;
    case "yarn":
      scaled("yarn");
      keys["{arch}.rope.scaling.yarn_beta_fast"] = x.params.beta_fast as number;
      keys["{arch}.rope.scaling.yarn_beta_slow"] = x.params.beta_slow as number;
      if (x.table.attentionScale !== 0.1 * Math.log(factor) + 1) {
        notes.push(
          "llama.cpp computes YaRN's attention factor itself (0.1·ln s + 1); a custom one is not carried.",
        );
      }
      if (x.params.truncate === false) notes.push("llama.cpp always truncates the YaRN correction range.");
      break;
    case "dynamic-ntk":
      notes.push("llama.cpp has no dynamic NTK; nothing exported beyond the base.");
      break;
    default: {
      // llama3, longrope, longrope2, plugins: per-pair factors divide each angle in ggml's rope.
      tensors["rope_freqs.weight"] = factorsOf(x.spec, x.table.invFreq);
      if (x.table.short) {
        tensors["rope_factors_long.weight"] = tensors["rope_freqs.weight"];
        tensors["rope_factors_short.weight"] = factorsOf(x.spec, x.table.short.invFreq);
        delete tensors["rope_freqs.weight"];
        notes.push(
          "llama.cpp picks long factors from the configured context per sequence, not per input length.",
        );
      }
      if (x.table.attentionScale !== 1) keys["{arch}.rope.scaling.attn_factor"] = x.table.attentionScale;
      keys["{arch}.rope.scaling.original_context_length"] = l0;
    }
  }
  return { keys, tensors, notes };
}
