/**
 * The request bodies the API accepts, with the limits that keep one request from monopolising the
 * server. Shared by validation and the OpenAPI document.
 *
 * @module
 */
import type { Schema } from "./schema.ts";
import { EVAL_LIMITS } from "../compare/limits.ts";
import {
  COMPARE_OPTIONS,
  type CompareOptionDef,
  defaultInWords,
  HTTP_OPTION_NAMES,
  requestMax,
} from "../compare/options.ts";

/** Limits on what one request may ask for. */
export const LIMITS = {
  /** Request bodies above this are refused before parsing. */
  bodyBytes: 1 << 20,
  // The evaluation limits are shared with the queue workers (compare/limits.ts).
  strategies: EVAL_LIMITS.strategies,
  lengths: EVAL_LIMITS.lengths,
  length: EVAL_LIMITS.length,
  samples: EVAL_LIMITS.samples,
  depths: EVAL_LIMITS.depths,
  seed: COMPARE_OPTIONS.seed.limit,
  /** Widest rotary dimension `/api/rope` builds a table for (its tables and analysis grow with it). */
  rotaryDim: 16384,
  seqLen: 2 ** 31 - 1,
} as const;

/** A strategy parameter value as JSON carries it (declared types are checked per strategy). */
const paramValue: Schema = {
  oneOf: [
    { type: "number" },
    { type: "boolean" },
    { type: "string", maxLength: 64 },
    { type: "array", items: { type: "number" }, maxItems: LIMITS.rotaryDim / 2 },
  ],
};

const params: Schema = {
  type: "object",
  description:
    "Strategy parameters by name, checked against the strategy's declared space (GET /api/strategies).",
  additionalProperties: paramValue,
  maxProperties: 32,
};

/** `POST /api/rope`. */
export const ropeRequest: Schema = {
  type: "object",
  required: ["config"],
  additionalProperties: false,
  properties: {
    config: {
      type: "object",
      description:
        "A Hugging Face config.json object (rope_theta, head_dim or hidden_size/num_attention_heads, …).",
      additionalProperties: true,
      maxProperties: 512,
    },
    strategy: {
      type: "string",
      maxLength: 2000,
      description:
        "Apply this strategy to a config without rope_scaling: a name, or an allowlisted plugin URL (URL#k=v,…).",
    },
    params,
    seq_len: {
      type: "integer",
      minimum: 1,
      maximum: LIMITS.seqLen,
      description: "HF's seq_len: picks LongRoPE's long set (when > L0) and dynamic NTK's length.",
    },
    target: {
      type: "integer",
      minimum: 1,
      maximum: LIMITS.seqLen,
      description: "Extension target for `strategy` (default: max_position_embeddings).",
    },
    doctor: {
      type: "boolean",
      description:
        "Also return `doctor`: what transformers, vLLM, llama.cpp and ropekit compute, and the pitfalls.",
    },
  },
};

/** One strategy of a comparison: the CLI's entry syntax, or the same as an object. */
export const strategyEntry: Schema = {
  oneOf: [
    {
      type: "string",
      maxLength: 2000,
      description:
        'CLI syntax: "yarn", "yarn:beta_fast=16,beta_slow=2", "config" (the scaling the model\'s ' +
        "files declare; the default reference when listed), or an allowlisted plugin URL " +
        '"https://host/x.ts#k=v,…" (no @result.json: clients name no files).',
    },
    {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { type: "string", maxLength: 64 },
        params,
        label: { type: "string", maxLength: 200, description: "Row label (default: the CLI form)." },
      },
    },
  ],
};

/**
 * The schema of one declared comparison option (compare/options.ts): its domain narrowed by the
 * per-request limits, its default and its help line.
 */
export function optionSchema(def: CompareOptionDef): Schema {
  const d = defaultInWords(def);
  const doc = {
    description: `${def.help[0].toUpperCase()}${def.help.slice(1)}${
      d === undefined ? "" : ` (default: ${d})`
    }.`,
    ...(def.default !== undefined ? { default: def.default } : {}),
  };
  const bounds = {
    ...(def.min !== undefined ? { minimum: def.min } : {}),
    ...(requestMax(def) !== undefined ? { maximum: requestMax(def) } : {}),
  };
  const list = (items: Schema): Schema => ({
    type: "array",
    items,
    minItems: 1,
    ...(def.maxItems !== undefined ? { maxItems: def.maxItems } : {}),
    ...doc,
  });
  switch (def.kind) {
    case "integer":
      return { type: "integer", ...bounds, ...doc };
    case "integers":
      return list({ type: "integer", ...bounds });
    case "numbers":
      return list({ type: "number", ...bounds });
    case "choices":
      return list({ type: "string", enum: def.values! });
    case "choice":
      return { type: "string", enum: def.values!, ...doc };
    case "text":
      return { type: "string", ...(def.maxLength !== undefined ? { maxLength: def.maxLength } : {}), ...doc };
    case "margins":
      return {
        type: "object",
        additionalProperties: { type: "number", ...bounds },
        ...doc,
      };
  }
}

/** `POST /api/compare`: the CLI's options as JSON, the settings derived from compare/options.ts. */
export const compareRequest: Schema = {
  type: "object",
  required: ["model", "strategies"],
  additionalProperties: false,
  properties: {
    model: { type: "string", maxLength: 500, description: "A model id from GET /api/models." },
    text: {
      type: "string",
      maxLength: 500,
      description: "A text id from GET /api/texts (default: the first).",
    },
    strategies: { type: "array", items: strategyEntry, minItems: 1, maxItems: LIMITS.strategies },
    ...Object.fromEntries(HTTP_OPTION_NAMES.map((n) => [n, optionSchema(COMPARE_OPTIONS[n])])),
  },
};

/** `POST /api/plugins`. */
export const pluginRequest: Schema = {
  type: "object",
  required: ["url"],
  additionalProperties: false,
  properties: {
    url: {
      type: "string",
      maxLength: 2000,
      description: "https URL on a host of --allow-plugin-host, optionally ending in #sha256=<hex>.",
    },
  },
};
