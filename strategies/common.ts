/**
 * Small pieces the built-in strategies share: the ratio default and shared parameter declarations.
 *
 * @module
 */
import type { ParamDef, Params, RopeContext, RopeSpec, RopeTable } from "./types.ts";
import { f } from "./float32.ts";

/**
 * The extension ratio s. An explicit `factor` wins; otherwise `targetLength / L0`, with the target
 * defaulting to `maxPositions` (HF: a null YaRN/LongRoPE factor means M / O).
 */
export function extensionFactor(spec: RopeSpec, ctx: RopeContext, params: Params): number {
  if (typeof params.factor === "number") return params.factor;
  return (ctx.targetLength ?? spec.maxPositions) / spec.originalContext;
}

/** `factor`: declared the same way by every ratio-based strategy. */
export const factorParam: ParamDef = {
  type: "number",
  exclusiveMin: true,
  min: 0,
  optional: true,
  description: "Extension ratio s; defaults to target length / trained context (L0).",
};

/** `attention_factor`: an explicit cos/sin multiplier that overrides the strategy's formula. */
export const attentionFactorParam: ParamDef = {
  type: "number",
  exclusiveMin: true,
  min: 0,
  optional: true,
  description: "Explicit multiplier of cos and sin (HF attention_factor); overrides the default formula.",
};

/** A single-set table. */
export function plainTable(spec: RopeSpec, invFreq: Float64Array, attentionScale: number): RopeTable {
  return { rotaryDim: spec.rotaryDim, invFreq, attentionScale };
}

/**
 * Inverse frequencies from per-pair factors as HF's longrope computes them in float32:
 * `1 / (float32(λ_i) · θ^(2i/d))`.
 */
export function invFreqFromFactors(powers: Float64Array, factors: ArrayLike<number>): Float64Array {
  return powers.map((p, i) => f(1 / f(f(factors[i]) * p)));
}

/** LongRoPE's magnitude rule ("su"): `sqrt(1 + ln s / ln L0)`, or 1 when s ≤ 1. */
export function longropeAttentionFactor(s: number, originalContext: number): number {
  return s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(originalContext));
}
