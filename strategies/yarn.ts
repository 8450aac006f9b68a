/** `yarn`: YaRN (NTK-by-parts interpolation with an attention temperature). @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { basePowers, f } from "./float32.ts";
import { attentionFactorParam, extensionFactor, factorParam, plainTable } from "./common.ts";

/** YaRN's magnitude rule: `0.1·m·ln s + 1`, or 1 when s ≤ 1. */
export function yarnMscale(s: number, m = 1): number {
  return s <= 1 ? 1 : 0.1 * m * Math.log(s) + 1;
}

/** The (fractional) pair index whose wavelength fits `rotations` full turns into `context` tokens. */
export function yarnCorrectionDim(
  rotations: number,
  rotaryDim: number,
  theta: number,
  context: number,
): number {
  return (rotaryDim * Math.log(context / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
}

/**
 * YaRN as HF's `_compute_yarn_parameters` computes it:
 * - pairs up to `low = ⌊corr(beta_fast)⌋` keep their frequency, pairs from `high = ⌈corr(beta_slow)⌉`
 *   are divided by s, pairs between are mixed along a linear ramp (all in float32);
 * - `truncate: false` keeps low/high fractional; the upper clamp is d−1 (not d/2−1), as in HF;
 * - attention factor: explicit `attention_factor`, else `mscale/mscale_all_dim` when both are
 *   non-zero, else `0.1·ln s + 1`;
 * - softmax scale (contract v2): `mscale(s, mscale_all_dim)²` when `mscale_all_dim` is set and
 *   `softmax_mscale` is on, as DeepSeek-V2/V3's attention applies it.
 */
export const yarnStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "yarn",
  version: "1.1.0",
  description: "YaRN: keep high frequencies, interpolate low ones by s, ramp between; attention temperature.",
  params: {
    factor: factorParam,
    attention_factor: attentionFactorParam,
    beta_fast: {
      type: "number",
      default: 32,
      min: 0,
      exclusiveMin: true,
      description: "Pairs turning more than beta_fast times within L0 keep their frequency.",
    },
    beta_slow: {
      type: "number",
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: "Pairs turning fewer than beta_slow times within L0 are fully interpolated.",
    },
    mscale: { type: "number", optional: true, description: "DeepSeek-style mscale (needs mscale_all_dim)." },
    mscale_all_dim: { type: "number", optional: true, description: "DeepSeek-style mscale_all_dim." },
    softmax_mscale: {
      type: "boolean",
      // No declared default: absent means on, and a search has nothing to tune here.
      optional: true,
      description:
        "Multiply the softmax scale by mscale(s, mscale_all_dim)² as DeepSeek-V2/V3 do (default on; HF Llama-family models do not).",
    },
    truncate: { type: "boolean", default: true, description: "Round the correction range to whole pairs." },
  },
  table(spec, ctx, params) {
    const s = extensionFactor(spec, ctx, params);
    const d = spec.rotaryDim;
    const pairs = d / 2;

    let attention = params.attention_factor as number | undefined;
    if (attention === undefined) {
      const m = params.mscale as number | undefined;
      const mAll = params.mscale_all_dim as number | undefined;
      attention = m && mAll ? yarnMscale(s, m) / yarnMscale(s, mAll) : yarnMscale(s);
    }

    const corrLow = yarnCorrectionDim(params.beta_fast as number, d, spec.theta, spec.originalContext);
    const corrHigh = yarnCorrectionDim(params.beta_slow as number, d, spec.theta, spec.originalContext);
    const truncate = params.truncate !== false;
    const low = Math.max(truncate ? Math.floor(corrLow) : corrLow, 0);
    let high = Math.min(truncate ? Math.ceil(corrHigh) : corrHigh, d - 1);
    if (low === high) high += 0.001; // HF's guard against a zero-width ramp

    const lowF = f(low);
    const span = f(high - low);
    const sF = f(s);
    const powers = basePowers(spec.theta, d);
    const invFreq = new Float64Array(pairs);
    for (let i = 0; i < pairs; i++) {
      const ramp = Math.min(Math.max(f(f(i - lowF) / span), 0), 1);
      const extrapolationWeight = f(1 - ramp);
      const interpolated = f(1 / f(sF * powers[i]));
      const extrapolated = f(1 / powers[i]);
      invFreq[i] = f(
        f(interpolated * f(1 - extrapolationWeight)) + f(extrapolated * extrapolationWeight),
      );
    }
    const table = plainTable(spec, invFreq, attention);
    // DeepSeek's attention (HF `yarn_apply_mscale`) scales the softmax by mscale_all_dim's mscale squared,
    // so that together with the cos/sin factor the logits carry get_mscale(s, mscale)².
    const mAll = params.mscale_all_dim as number | undefined;
    if (params.softmax_mscale !== false && mAll) {
      const m = yarnMscale(s, mAll);
      if (m !== 1) table.softmaxScale = m * m;
    }
    return table;
  },
};
