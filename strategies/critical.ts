/**
 * Critical dimensions (LongRoPE2 §2.1): the first frequency pair whose period does not complete
 * within the trained context L0.
 *
 * One convention for the critical index throughout ropekit: **k is 0-based**, the index of the first
 * frequency pair given its own (searched) factor; pairs 0..k−1 follow NTK-left. The paper counts
 * dimensions from 1 (its d_tcd = ⌈x⌉ is "the ⌈x⌉-th dimension"), so the 0-based index of that pair is
 * ⌈x⌉ − 1 — exactly the official search code's default (`critical_dim = ⌈x⌉ − 1`). The same shift
 * applies to the ten-period dimension d¹⁰_tcd, the lower end of LongRoPE2's candidate range.
 *
 * @module
 */
import type { RopeSpec } from "./types.ts";

/** x = (d/2)·log_θ(L0 / (2π·periods)): pairs i ≥ x turn fewer than `periods` times within L0. */
export function criticalPosition(spec: RopeSpec, periods = 1): number {
  return (spec.rotaryDim / 2) * Math.log(spec.originalContext / (2 * Math.PI * periods)) /
    Math.log(spec.theta);
}

/** Theoretical critical dimension d_tcd = ⌈x⌉, 1-based as in the paper (LLaMA3-8B: 35, Phi3-mini at 2k: 31). */
export function theoreticalCriticalDim(spec: RopeSpec): number {
  return Math.ceil(criticalPosition(spec, 1));
}

/** d¹⁰_tcd: the same with 10 full periods, 1-based (LLaMA3-8B: 24). */
export function tenPeriodCriticalDim(spec: RopeSpec): number {
  return Math.ceil(criticalPosition(spec, 10));
}

/** A 1-based dimension as a 0-based critical index, kept inside [1, d/2 − 1] so both parts exist. */
function toIndex(spec: RopeSpec, dim: number): number {
  return Math.min(Math.max(dim - 1, 1), spec.rotaryDim / 2 - 1);
}

/**
 * The default critical index k of LongRoPE2 (0-based first pair given its own factor): the
 * official search code's `⌈x⌉ − 1`, kept inside [1, d/2 − 1] so both parts exist.
 */
export function defaultCriticalIndex(spec: RopeSpec): number {
  return toIndex(spec, theoreticalCriticalDim(spec));
}

/**
 * LongRoPE2's candidate critical indices (paper Alg. 1: d¹⁰_tcd to d_tcd) in the 0-based convention:
 * [⌈x₁₀⌉ − 1, ⌈x⌉ − 1], clamped to [1, d/2 − 1]. Its top is {@linkcode defaultCriticalIndex}.
 */
export function criticalIndexRange(spec: RopeSpec): [number, number] {
  return [toIndex(spec, tenPeriodCriticalDim(spec)), defaultCriticalIndex(spec)];
}
