/** `longrope`: per-pair factors with separate short/long sets (LongRoPE, Phi-3/Phi-4). @module */
import { type RopeSpec, type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { yarnCorrectionDim } from "./yarn.ts";
import { baseInvFreq, basePowers } from "./float32.ts";
import {
  attentionFactorParam,
  extensionFactor,
  factorParam,
  invFreqFromFactors,
  longropeAttentionFactor,
} from "./common.ts";

/**
 * The vector LongRoPE's search starts from when no factors are given: YaRN's ramp expressed as
 * factors, `λ_i = 1 + (s − 1)·ramp_i` with the default betas (32, 1) — pairs turning often within L0
 * keep λ = 1, slow pairs get s.
 */
export function yarnSeedFactors(spec: RopeSpec, s: number): number[] {
  const d = spec.rotaryDim;
  const low = Math.max(Math.floor(yarnCorrectionDim(32, d, spec.theta, spec.originalContext)), 0);
  let high = Math.min(Math.ceil(yarnCorrectionDim(1, d, spec.theta, spec.originalContext)), d - 1);
  if (low === high) high += 0.001;
  return Array.from(
    { length: d / 2 },
    (_, i) => 1 + (s - 1) * Math.min(Math.max((i - low) / (high - low), 0), 1),
  );
}

/**
 * LongRoPE as HF's `_compute_longrope_parameters` defines it: `inv_i = 1 / (λ_i · θ^(2i/d))` with
 * λ = `long_factor` when the sequence is longer than L0 and `short_factor` otherwise; both sets get
 * the same attention factor (explicit, else `sqrt(1 + ln s / ln L0)`). ropekit adds LongRoPE's
 * optional start tokens: positions below `start_tokens` keep the original angles with scale 1.
 */
export const longropeStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "longrope",
  version: "1.0.0",
  description: "LongRoPE: searched per-pair factors, long set beyond L0 and short set within it.",
  params: {
    long_factor: {
      type: "factors",
      min: 0,
      optional: true,
      description:
        "λ_i used beyond L0 (rotary_dim/2 values); default: the LongRoPE search's YaRN-shaped seed.",
    },
    short_factor: {
      type: "factors",
      min: 0,
      optional: true,
      description: "λ_i used within L0; defaults to all 1 (the original RoPE).",
    },
    factor: factorParam,
    attention_factor: attentionFactorParam,
    start_tokens: {
      type: "integer",
      default: 0,
      min: 0,
      description: "LongRoPE n̂: the first positions keep the original RoPE (0 = off).",
    },
  },
  table(spec, ctx, params) {
    const s = extensionFactor(spec, ctx, params);
    const attentionScale = (params.attention_factor as number | undefined) ??
      longropeAttentionFactor(s, spec.originalContext);
    const powers = basePowers(spec.theta, spec.rotaryDim);
    const short = (params.short_factor as number[] | undefined) ?? new Array(spec.rotaryDim / 2).fill(1);
    const startTokens = params.start_tokens as number;
    return {
      rotaryDim: spec.rotaryDim,
      invFreq: invFreqFromFactors(
        powers,
        (params.long_factor as number[] | undefined) ?? yarnSeedFactors(spec, s),
      ),
      attentionScale,
      short: { invFreq: invFreqFromFactors(powers, short), attentionScale },
      switchLength: spec.originalContext,
      ...(startTokens > 0 ? { startTokens, original: baseInvFreq(spec.theta, spec.rotaryDim) } : {}),
    };
  },
};
