/**
 * A ropekit strategy plugin: Hunyuan's NTK-alpha RoPE, as vLLM implements it for Hunyuan models
 * (`DynamicNTKAlphaRotaryEmbedding`, vllm/model_executor/layers/rotary_embedding/
 * dynamic_ntk_alpha_rope.py). The base is raised once to base · α^(d/(d−2)), d the rotary
 * dimension, and the frequencies are the usual base^(−2i/d): the highest frequency is kept, the
 * lowest is divided by exactly α.
 *
 * This differs from ropekit's built-in `ntk`, which takes the extension ratio as its factor: here
 * the user sets α directly, as Hunyuan's configs do (`rope_scaling.alpha`). Left unset, α defaults
 * to the extension ratio target / L0 (at least 1) — ropekit's choice, so the plugin works without
 * parameters.
 *
 * A plugin is one self-contained module: the type-only import below is erased before it runs.
 *
 * @module
 */
import type { Strategy } from "../../strategies/types.ts";

export const strategy: Strategy = {
  apiVersion: 1,
  name: "ntk-alpha",
  version: "1.0.0",
  description: "Hunyuan NTK-alpha: base · α^(d/(d−2)), as vLLM's DynamicNTKAlphaRotaryEmbedding.",
  params: {
    alpha: {
      type: "number",
      min: 1,
      optional: true,
      description: "Scaling alpha; defaults to target length / trained context (at least 1).",
    },
  },
  table(spec, ctx, params) {
    const alpha = typeof params.alpha === "number"
      ? params.alpha
      : Math.max(1, (ctx.targetLength ?? spec.maxPositions) / spec.originalContext);
    const d = spec.rotaryDim;
    const base = spec.theta * Math.pow(alpha, d / (d - 2));
    const invFreq = Float64Array.from({ length: d / 2 }, (_, i) => Math.pow(base, (-2 * i) / d));
    return { rotaryDim: d, invFreq, attentionScale: 1 };
  },
};
