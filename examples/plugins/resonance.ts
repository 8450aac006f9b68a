/**
 * A ropekit strategy plugin: Resonance RoPE (Wang et al., 2024, "Resonance RoPE: Improving Context
 * Length Generalization of Large Language Models", arXiv:2403.00071). Each pair's wavelength
 * 2π/θᵢ is rounded to the nearest integer, so that the pair's rotation repeats exactly on whole
 * token positions: positions past the trained context then produce the same rotation features as
 * positions seen in training, instead of features slightly out of phase.
 *
 * The paper's reference implementation rounds every wavelength; `scope: "pre-critical"` rounds only
 * the pairs that complete a full turn within the trained context (wavelength < L0), which is where
 * the paper locates the benefit: longer wavelengths are left untouched.
 *
 * `factor` optionally divides every frequency first (Position Interpolation, then rounding); at
 * the default 1 the table is the model's RoPE with rounded wavelengths.
 *
 * A plugin is one self-contained module: the type-only import below is erased before it runs.
 *
 * @module
 */
import type { Strategy } from "../../strategies/types.ts";

export const strategy: Strategy = {
  apiVersion: 1,
  name: "resonance",
  version: "1.0.0",
  description: "Resonance RoPE: every wavelength rounded to a whole number of tokens (Wang et al. 2024).",
  params: {
    scope: {
      type: "enum",
      values: ["all", "pre-critical"],
      default: "all",
      description: "Which pairs to round: all (as the paper's code), or only wavelengths shorter than L0.",
    },
    factor: {
      type: "number",
      default: 1,
      min: 1,
      description: "Position Interpolation factor applied before rounding (1: none).",
    },
  },
  table(spec, _ctx, params) {
    const factor = params.factor as number;
    const preCriticalOnly = params.scope === "pre-critical";
    const pairs = spec.rotaryDim / 2;
    const invFreq = new Float64Array(pairs);
    for (let i = 0; i < pairs; i++) {
      const theta = Math.pow(spec.theta, (-2 * i) / spec.rotaryDim) / factor;
      const wavelength = (2 * Math.PI) / theta;
      const round = !preCriticalOnly || wavelength < spec.originalContext;
      // The shortest wavelength is 2π/θ₀ ≥ 2π > 6, so rounding never reaches zero.
      invFreq[i] = round ? (2 * Math.PI) / Math.round(wavelength) : theta;
    }
    return { rotaryDim: spec.rotaryDim, invFreq, attentionScale: 1 };
  },
};
