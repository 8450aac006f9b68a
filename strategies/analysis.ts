/**
 * Critical-dimension analysis of a table against a spec: which pairs complete a period within the
 * trained context, the theoretical critical dimensions, and for the strategy's table the factor
 * curve and how far each pair's angle at the target length goes beyond what training showed.
 *
 * @module
 */
import type { RopeSpec, RopeTable } from "./types.ts";
import { baseInvFreq } from "./float32.ts";
import {
  criticalPosition,
  defaultCriticalIndex,
  tenPeriodCriticalDim,
  theoreticalCriticalDim,
} from "./critical.ts";

/** One frequency pair in the report. */
export interface PairAnalysis {
  /** Pair index i (0-based). */
  index: number;
  /** Original inverse frequency θ_i. */
  invFreq: number;
  /** Original period 2π/θ_i in tokens. */
  period: number;
  /** Whether the original period completes within L0 (pairs i < x). */
  completesWithinL0: boolean;
  /** Effective factor λ_i = θ_i / θ'_i of the strategy's (long) table. */
  factor: number;
  /** Period after scaling. */
  scaledPeriod: number;
  /**
   * Largest angle at the target length over the largest angle seen in training:
   * `target·θ'_i / (L0·θ_i)`. Above 1 the pair meets angles it never saw (extrapolation),
   * unless it already completed full turns in training (then every angle was seen).
   */
  angleRatio: number;
  /** True when the pair sees angles at the target that training never produced. */
  outOfDistribution: boolean;
}

/** The whole report. */
export interface CriticalAnalysis {
  /** Rotated channels per head (pairs = rotaryDim / 2). */
  rotaryDim: number;
  /** The trained context L0. */
  originalContext: number;
  /** The length the table extends to. */
  targetLength: number;
  /** x = (d/2)·log_θ(L0/2π): pairs at or above it never complete a period within L0. */
  criticalPosition: number;
  /** d_tcd = ⌈x⌉, 1-based as in the paper. */
  theoreticalCriticalDim: number;
  /** The 0-based critical index k = d_tcd − 1 (LongRoPE2's first searched pair; `defaultCriticalIndex`). */
  criticalIndex: number;
  /** d¹⁰_tcd: pairs from here on complete fewer than 10 periods within L0. */
  tenPeriodCriticalDim: number;
  /** Attention scale of the long table. */
  attentionScale: number;
  /** One row per frequency pair, fastest first. */
  pairs: PairAnalysis[];
}

/**
 * Analyses `table` (its long set) for a model with `spec` extended to `targetLength`.
 *
 * @example Which pairs meet unseen angles at 4× the trained context
 * ```ts
 * import assert from "node:assert/strict";
 * import { analyzeTable } from "./analysis.ts";
 * import { buildTable, builtinRegistry } from "./registry.ts";
 * import { makeSpec } from "./spec.ts";
 *
 * const spec = makeSpec({ headDim: 64, originalContext: 512 });
 * const registry = builtinRegistry();
 * const unscaled = analyzeTable(spec, await buildTable(registry.get("default"), spec), 2048);
 * const pi = analyzeTable(spec, await buildTable(registry.get("pi"), spec, { targetLength: 2048 }), 2048);
 * // Unscaled, the pairs that never turned once within L0 extrapolate; interpolated by 4, none does.
 * const slow = unscaled.pairs.filter((p) => !p.completesWithinL0);
 * assert.ok(slow.length > 0 && slow.every((p) => p.outOfDistribution));
 * assert.ok(pi.pairs.every((p) => !p.outOfDistribution));
 * ```
 */
export function analyzeTable(spec: RopeSpec, table: RopeTable, targetLength: number): CriticalAnalysis {
  const original = baseInvFreq(spec.theta, spec.rotaryDim);
  const l0 = spec.originalContext;
  const x = criticalPosition(spec);
  const pairs = Array.from(original, (inv, i): PairAnalysis => {
    const scaled = table.invFreq[i];
    const period = (2 * Math.PI) / inv;
    const completes = period <= l0;
    const angleRatio = (targetLength * scaled) / (l0 * inv);
    return {
      index: i,
      invFreq: inv,
      period,
      completesWithinL0: completes,
      factor: inv / scaled,
      scaledPeriod: (2 * Math.PI) / scaled,
      angleRatio,
      outOfDistribution: !completes && angleRatio > 1 + 1e-9,
    };
  });
  return {
    rotaryDim: spec.rotaryDim,
    originalContext: l0,
    targetLength,
    criticalPosition: x,
    theoreticalCriticalDim: theoreticalCriticalDim(spec),
    criticalIndex: defaultCriticalIndex(spec),
    tenPeriodCriticalDim: tenPeriodCriticalDim(spec),
    attentionScale: table.attentionScale,
    pairs,
  };
}
