/** `pi`: Position Interpolation (HF `linear`). @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { baseInvFreq, f } from "./float32.ts";
import { extensionFactor, factorParam, plainTable } from "./common.ts";

/**
 * Position Interpolation: every frequency divided by s (HF `linear`: an in-place float32 divide of
 * the default vector, which equals dividing positions by s up to rounding).
 */
export const piStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "pi",
  version: "1.0.0",
  description: 'Position Interpolation: all frequencies divided by s (HF rope_type "linear").',
  params: { factor: factorParam },
  table(spec, ctx, params) {
    const s = f(extensionFactor(spec, ctx, params));
    return plainTable(spec, baseInvFreq(spec.theta, spec.rotaryDim).map((v) => f(v / s)), 1);
  },
};
