/**
 * Critical dimensions (LongRoPE2 §2.1): the first frequency pair whose period does not complete
 * within the trained context L0.
 *
 * @module
 */
import type { RopeSpec } from "./types.ts";

/** x = (d/2)·log_θ(L0 / (2π·periods)): pairs i ≥ x turn fewer than `periods` times within L0. */
export function criticalPosition(spec: RopeSpec, periods = 1): number {
  return (spec.rotaryDim / 2) * Math.log(spec.originalContext / (2 * Math.PI * periods)) /
    Math.log(spec.theta);
}

/** Theoretical critical dimension d_tcd = ⌈x⌉ (LLaMA3-8B: 35, Phi3-mini at 2k: 31). */
export function theoreticalCriticalDim(spec: RopeSpec): number {
  return Math.ceil(criticalPosition(spec, 1));
}

/** d¹⁰_tcd: the same with 10 full periods — the lower end of LongRoPE2's search range for k. */
export function tenPeriodCriticalDim(spec: RopeSpec): number {
  return Math.ceil(criticalPosition(spec, 10));
}

/**
 * The default critical index k of LongRoPE2 (0-based first pair given its own factor): the
 * official search code's `⌈x⌉ − 1`, kept inside [1, d/2 − 1] so both parts exist.
 */
export function defaultCriticalIndex(spec: RopeSpec): number {
  return Math.min(Math.max(theoreticalCriticalDim(spec) - 1, 1), spec.rotaryDim / 2 - 1);
}
