/** `ntk`: static NTK-aware scaling. @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { baseInvFreq } from "./float32.ts";
import { RopeTableError } from "./table.ts";
import { extensionFactor, factorParam, plainTable } from "./common.ts";

/**
 * Static NTK-aware scaling: a new base `θ' = θ · s^(d/(d−2))` (computed in float64, rounded to
 * float32 inside the power, as HF does for every base). Pair 0 is untouched and the lowest frequency
 * is divided by exactly s. HF has no rope type for it; this is the LocalLLaMA formula.
 */
export const ntkStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "ntk",
  version: "1.0.0",
  description: "Static NTK-aware scaling: base θ·s^(d/(d−2)).",
  params: { factor: factorParam },
  table(spec, ctx, params) {
    const s = extensionFactor(spec, ctx, params);
    const d = spec.rotaryDim;
    if (d <= 2) {
      throw new RopeTableError(`Strategy "ntk" needs rotary_dim > 2 (its exponent is d/(d−2)), got ${d}`);
    }
    const base = spec.theta * Math.pow(s, d / (d - 2));
    return plainTable(spec, baseInvFreq(base, d), 1);
  },
};
