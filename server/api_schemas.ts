/**
 * The request bodies the API accepts, with the limits that keep one request from monopolising the
 * server. Shared by validation and the OpenAPI document.
 *
 * @module
 */
import { METRICS } from "../compare/compare.ts";
import { NEEDLE_TEMPLATES } from "../eval/needle.ts";
import type { Schema } from "./schema.ts";
import { EVAL_LIMITS } from "../compare/limits.ts";

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
  seed: 2 ** 31 - 1,
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

/** `POST /api/compare`: the CLI's options as JSON. */
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
    lengths: {
      type: "array",
      items: { type: "integer", minimum: 2, maximum: LIMITS.length },
      minItems: 1,
      maxItems: LIMITS.lengths,
      description: "Evaluation lengths in tokens (default: 2·L0, 4·L0).",
    },
    target: {
      type: "integer",
      minimum: 2,
      maximum: LIMITS.length,
      description: "Default: the largest length.",
    },
    metrics: {
      type: "array",
      items: { type: "string", enum: METRICS },
      minItems: 1,
      maxItems: METRICS.length,
      description: "Default: ppl, needle, short.",
    },
    samples: { type: "integer", minimum: 1, maximum: LIMITS.samples, description: "Default 8." },
    seed: { type: "integer", minimum: 0, maximum: LIMITS.seed, description: "Default 0." },
    template: {
      type: "string",
      enum: Object.keys(NEEDLE_TEMPLATES),
      description:
        "Needle template (default: magic-number where the model passes the validity check, else story-pet).",
    },
    digits: {
      type: "integer",
      minimum: 1,
      maximum: 15,
      description: "Digits of the magic number and passkey (default 7).",
    },
    reference: {
      type: "string",
      maxLength: 500,
      description: "Label of the strategy every other is compared against (default: the best per column).",
    },
    depths: {
      type: "array",
      items: { type: "number", minimum: 0, maximum: 1 },
      minItems: 1,
      maxItems: LIMITS.depths,
    },
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
