/** `proportional`: Gemma 4's p-RoPE (only a fraction of the pairs rotate). @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { basePowersOver, f } from "./float32.ts";
import { plainTable } from "./common.ts";

/**
 * p-RoPE as transformers' `_compute_proportional_rope_parameters` computes it: over the whole
 * rotary width D (= head_dim, HF's encoding is always head-sized), the first
 * `⌊partial_rotary_factor · D / 2⌋` pairs get `1 / θ^(2i/D)` — the exponent over the full D, not over
 * the rotated part — and the remaining pairs get 0 (they never rotate); everything is then divided by
 * `factor` (default 1, not a target ratio: p-RoPE is a model's design, not an extension method).
 * Pairs are (i, i + D/2), so this differs from a partial rotary of the first channels.
 */
export const proportionalStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "proportional",
  version: "1.0.0",
  description:
    "p-RoPE (Gemma 4): the first fraction of pairs rotate with exponents over the full head, rest 0.",
  params: {
    partial_rotary_factor: {
      type: "number",
      default: 1,
      min: 0,
      max: 1,
      description: "Fraction of the rotary pairs that rotate (HF partial_rotary_factor of this rope type).",
    },
    factor: {
      type: "number",
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: "Divides every frequency (HF reads it with a default of 1).",
    },
  },
  table(spec, _ctx, params) {
    const d = spec.rotaryDim;
    // Python `int(p * d // 2)`: floor division of a float, then int.
    const rotated = Math.floor((params.partial_rotary_factor as number) * d / 2);
    const powers = basePowersOver(spec.theta, rotated, d);
    const factor = f(params.factor as number);
    const invFreq = new Float64Array(d / 2);
    for (let i = 0; i < rotated; i++) invFreq[i] = f(f(1 / powers[i]) / factor);
    return plainTable(spec, invFreq, 1);
  },
};
