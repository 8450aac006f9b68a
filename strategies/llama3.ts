/** `llama3`: Meta's Llama 3.1 frequency-band scaling. @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { baseInvFreq, f } from "./float32.ts";
import { extensionFactor, factorParam, plainTable } from "./common.ts";

/**
 * Llama 3.1 scaling as HF's `_compute_llama3_parameters` computes it (float32 throughout):
 * wavelengths shorter than `L0/high_freq_factor` keep their frequency, longer than
 * `L0/low_freq_factor` are divided by s, and the band between is blended smoothly. Both band
 * edges belong to the blend.
 */
export const llama3Strategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "llama3",
  version: "1.0.0",
  description: "Llama 3.1: keep short wavelengths, divide long ones by s, smooth blend between.",
  params: {
    factor: factorParam,
    low_freq_factor: {
      type: "number",
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: "Wavelengths above L0/low_freq_factor are divided by s.",
    },
    high_freq_factor: {
      type: "number",
      default: 4,
      min: 0,
      exclusiveMin: true,
      description: "Wavelengths below L0/high_freq_factor are kept.",
    },
  },
  table(spec, ctx, params) {
    const s = f(extensionFactor(spec, ctx, params));
    const lowFreqFactor = params.low_freq_factor as number;
    const highFreqFactor = params.high_freq_factor as number;
    const context = spec.originalContext;
    // A Python scalar meeting a float32 tensor (arithmetic or comparison) is rounded to float32
    // first, and PyTorch computes `scalar / tensor` as `reciprocal(tensor) * scalar`.
    const lowWavelen = f(context / lowFreqFactor);
    const highWavelen = f(context / highFreqFactor);
    const twoPi = f(2 * Math.PI);
    const contextF = f(context);
    const lowF = f(lowFreqFactor);
    const bandF = f(highFreqFactor - lowFreqFactor);

    const invFreq = baseInvFreq(spec.theta, spec.rotaryDim).map((inv) => {
      const wavelen = f(f(1 / inv) * twoPi);
      if (wavelen > lowWavelen) return f(inv / s);
      if (wavelen < highWavelen) return inv;
      const smooth = f(f(f(f(1 / wavelen) * contextF) - lowF) / bandF);
      return f(f(f(f(1 - smooth) * inv) / s) + f(smooth * inv));
    });
    return plainTable(spec, invFreq, 1);
  },
};
