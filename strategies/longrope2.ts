/** `longrope2`: LongRoPE2's NTK-left + searched-upper factors with original RoPE for short inputs. @module */
import { type Params, type RopeSpec, type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { baseInvFreq, basePowers } from "./float32.ts";
import {
  attentionFactorParam,
  extensionFactor,
  factorParam,
  invFreqFromFactors,
  longropeAttentionFactor,
} from "./common.ts";
import { defaultCriticalIndex } from "./critical.ts";
import { ParamError } from "./params.ts";

/**
 * LongRoPE2's factor vector: pairs at and above the critical index k take their own factors
 * (`upper`, from `long_factor[k..]` or the paper's initialisation λ = s), pairs below k follow an
 * NTK curve anchored at k: `λ_i = λ_k^(i/k)`.
 */
export function longrope2Factors(spec: RopeSpec, s: number, k: number, longFactor?: number[]): number[] {
  const pairs = spec.rotaryDim / 2;
  const out = new Array<number>(pairs);
  for (let i = k; i < pairs; i++) out[i] = longFactor ? longFactor[i] : s;
  for (let i = 0; i < k; i++) out[i] = Math.pow(out[k], i / k);
  return out;
}

/** The critical index k of `params` (default ⌈x⌉−1), checked against the spec. */
export function criticalIndex(spec: RopeSpec, params: Params): number {
  const k = (params.critical_index as number | undefined) ?? defaultCriticalIndex(spec);
  const pairs = spec.rotaryDim / 2;
  if (k < 1 || k > pairs - 1) {
    throw new ParamError(
      `Strategy "longrope2": parameter "critical_index" = ${k} must lie in [1, ${
        pairs - 1
      }] (rotary_dim/2 − 1)`,
    );
  }
  return k;
}

/**
 * LongRoPE2 (arXiv 2502.20082): long sequences use the rescaled factors and the LongRoPE attention
 * factor; sequences within L0 keep the original RoPE exactly (scale 1), which is what mixed context
 * window training assumes and why short-context quality is kept by construction.
 */
export const longrope2Strategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "longrope2",
  version: "1.0.0",
  description: "LongRoPE2: NTK below the critical index k, searched factors above; original RoPE within L0.",
  params: {
    factor: factorParam,
    critical_index: {
      type: "integer",
      min: 1,
      optional: true,
      description: "k: first pair with its own factor; defaults to ⌈(d/2)·log_θ(L0/2π)⌉ − 1.",
    },
    long_factor: {
      type: "factors",
      min: 0,
      optional: true,
      description: "Searched factors; entries from k on are used, entries below k are re-derived (NTK-left).",
    },
    attention_factor: attentionFactorParam,
    original_within_l0: {
      type: "boolean",
      default: true,
      description: "Original RoPE for sequences within L0 (mixed context window training); false rescales " +
        "every length, for models fine-tuned without mixed windows.",
    },
  },
  table(spec, ctx, params) {
    const s = extensionFactor(spec, ctx, params);
    const k = criticalIndex(spec, params);
    const factors = longrope2Factors(spec, s, k, params.long_factor as number[] | undefined);
    const attentionScale = (params.attention_factor as number | undefined) ??
      longropeAttentionFactor(s, spec.originalContext);
    const invFreq = invFreqFromFactors(basePowers(spec.theta, spec.rotaryDim), factors);
    if (params.original_within_l0 === false) return { rotaryDim: spec.rotaryDim, invFreq, attentionScale };
    return {
      rotaryDim: spec.rotaryDim,
      invFreq,
      attentionScale,
      short: { invFreq: baseInvFreq(spec.theta, spec.rotaryDim), attentionScale: 1 },
      switchLength: spec.originalContext,
    };
  },
};
