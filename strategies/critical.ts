/**
 * Critical dimensions (LongRoPE2 §2.1), with **one definition** used by this code, its docstrings,
 * docs/search.md and the search result:
 *
 * - Pairs are counted from 0; pair i turns at θ^(−2i/d) and has period Tᵢ = 2π·θ^(2i/d).
 * - x = (d/2)·log_θ(L0/2π) is where Tᵢ = L0, so pair i completes a full turn within L0 exactly when i < x.
 * - **The critical pair is ⌈x⌉** (x not an integer): the first pair whose period exceeds L0, the
 *   lowest pair never seen through a full turn in pre-training. It is the paper's d_tcd = ⌈x⌉ read as
 *   this 0-based pair index (`theoreticalCriticalDim`); likewise d¹⁰_tcd = ⌈x₁₀⌉ is the first pair
 *   turning fewer than 10 times.
 * - **The official search code's default k is ⌈x⌉ − 1** (`defaultCriticalIndex`), one pair lower: the
 *   last pair that still completes a turn within L0 (it takes the paper's d_tcd as a 1-based count).
 *   LongRoPE2's strategy keeps that default; the search's candidate range holds both and decides.
 *
 * Example, head_dim 32, θ = 10⁴, L0 = 256: x = 6.44, so pair 6 (T = 198.7 < 256) turns 1.3 times and
 * pair 7 (T = 354.0) does not complete one: the critical pair is 7, the official default k is 6.
 *
 * k is always 0-based: the index of the first frequency pair given its own (searched) factor; pairs
 * 0..k−1 follow NTK-left.
 *
 * @module
 */
import type { RopeSpec } from "./types.ts";

/** x = (d/2)·log_θ(L0 / (2π·periods)): pair i (0-based) turns fewer than `periods` times within L0 iff i > x. */
export function criticalPosition(spec: RopeSpec, periods = 1): number {
  return (spec.rotaryDim / 2) * Math.log(spec.originalContext / (2 * Math.PI * periods)) /
    Math.log(spec.theta);
}

/**
 * The critical pair d_tcd = ⌈x⌉: the first pair (0-based) whose period exceeds L0 — the paper's number
 * (LLaMA3-8B: 35, Phi3-mini at 2k: 31), read as a 0-based pair index.
 */
export function theoreticalCriticalDim(spec: RopeSpec): number {
  return Math.ceil(criticalPosition(spec, 1));
}

/** d¹⁰_tcd = ⌈x₁₀⌉: the first pair (0-based) turning fewer than 10 times within L0 (LLaMA3-8B: 24). */
export function tenPeriodCriticalDim(spec: RopeSpec): number {
  return Math.ceil(criticalPosition(spec, 10));
}

/** A pair index kept inside [1, d/2 − 1], so both parts of a LongRoPE2 factor vector exist. */
function clampIndex(spec: RopeSpec, index: number): number {
  return Math.min(Math.max(index, 1), spec.rotaryDim / 2 - 1);
}

/**
 * The default critical index k of the LongRoPE2 strategy: the official search code's `⌈x⌉ − 1` (the
 * last pair completing a turn within L0, one below the critical pair), kept inside [1, d/2 − 1].
 */
export function defaultCriticalIndex(spec: RopeSpec): number {
  return clampIndex(spec, theoreticalCriticalDim(spec) - 1);
}

/** The critical pair ⌈x⌉ as a usable k (kept inside [1, d/2 − 1]): what a search tests its k against. */
export function theoreticalCriticalIndex(spec: RopeSpec): number {
  return clampIndex(spec, theoreticalCriticalDim(spec));
}

/** How many pairs above the critical pair the search's range reaches by default. */
export const CRITICAL_RANGE_ABOVE = 3;

/**
 * LongRoPE2's candidate critical indices: the paper's [d¹⁰_tcd, d_tcd] = [⌈x₁₀⌉, ⌈x⌉] (Alg. 1), extended
 * `above` pairs past the critical pair so a search can find k above theory as well as below, clamped to
 * [1, d/2 − 1]. It holds the official default ⌈x⌉ − 1 whenever ⌈x₁₀⌉ < ⌈x⌉.
 */
export function criticalIndexRange(spec: RopeSpec, above = CRITICAL_RANGE_ABOVE): [number, number] {
  return [
    clampIndex(spec, tenPeriodCriticalDim(spec)),
    clampIndex(spec, theoreticalCriticalDim(spec) + above),
  ];
}
