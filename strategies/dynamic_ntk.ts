/** `dynamic-ntk`: NTK scaling recomputed from the current sequence length (HF `dynamic`). @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { baseInvFreq } from "./float32.ts";
import { RopeTableError } from "./table.ts";
import { extensionFactor, factorParam, plainTable } from "./common.ts";

/**
 * Dynamic NTK (HF `dynamic`, init path): with `L = max(seqLen ?? M, M)` and M =
 * `max_position_embeddings`, the base becomes `θ · ((s·L/M) − (s−1))^(d/(d−2))` in float64. At L = M
 * the bracket is 1, so sequences within the trained window keep the original RoPE. The table is
 * length-dependent: callers rebuild it per sequence length.
 */
export const dynamicNtkStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "dynamic-ntk",
  version: "1.0.0",
  description: 'Dynamic NTK: base grows with the current sequence length (HF rope_type "dynamic").',
  params: { factor: factorParam },
  table(spec, ctx, params) {
    const s = extensionFactor(spec, ctx, params);
    const d = spec.rotaryDim;
    if (d <= 2) {
      throw new RopeTableError(
        `Strategy "dynamic-ntk" needs rotary_dim > 2 (its exponent is d/(d−2)), got ${d}`,
      );
    }
    const m = spec.maxPositions;
    const len = Math.max(ctx.seqLen ?? m, m);
    const base = spec.theta * Math.pow((s * len / m) - (s - 1), d / (d - 2));
    return { ...plainTable(spec, baseInvFreq(base, d), 1), lengthDependent: true };
  },
};
