/**
 * The shape of report.json, defined once: `compare` writes it, the reports render it, the server stores
 * and streams it, and the web page (`web/api.ts`) imports these types. Types only, so any of them can
 * import this file.
 *
 * @module
 */
import type { Params, RopeSpec } from "../strategies/types.ts";
import type { CriticalAnalysis } from "../strategies/analysis.ts";
import type { MetricInfo, MetricResult } from "../eval/metrics/metric.ts";

export type {
  ChartPoint,
  MetricCell,
  MetricChart,
  MetricColumn,
  MetricInfo,
  MetricResult,
} from "../eval/metrics/metric.ts";

/** One strategy's results. */
export interface StrategyReport {
  label: string;
  name: string;
  params: Params;
  /** The long table (what the target length runs with). */
  invFreq: number[];
  attentionScale: number;
  /** Short set (used within L0), when the strategy has one. */
  short?: { invFreq: number[]; attentionScale: number; switchLength: number };
  /** Per-pair factor λ_i = θ_i / θ'_i of the long table. */
  factors: number[];
  analysis: CriticalAnalysis;
  /** What each metric measured, by metric id. */
  metrics: Record<string, MetricResult>;
  seconds: number;
}

/**
 * A paired difference between two strategies on one metric at one length: mean score of `a` minus mean
 * score of `b` over the same documents, in the metric's score unit (`MetricInfo.scoreUnit`).
 */
export interface Comparison {
  metric: string;
  length: number;
  /** The column's key: the length, or e.g. a policy where a metric has several columns per length. */
  column?: string;
  a: string;
  b: string;
  /** mean(a) − mean(b). */
  difference: number;
  /** Standard error of the mean paired difference. */
  stderr: number;
  /** Documents paired. */
  n: number;
  /** 95% paired bootstrap interval of the difference. */
  ci95: [number, number];
  /** The interval excludes 0. */
  significant: boolean;
}

/** Who leads a column: a best marked only when significantly better than the runner-up. */
export interface Verdict {
  metric: string;
  length: number;
  /** The column's key: the length, or e.g. a policy where a metric has several columns per length. */
  column?: string;
  /** The leader, when significantly better than the runner-up. */
  best?: string;
  /** Otherwise the leaders: the top strategy and every one not significantly worse than it. */
  tied: string[];
}

/** How the comparisons were computed. */
export interface StatisticsInfo {
  method: "expanded paired percentile bootstrap over documents";
  resamples: number;
  seed: number;
  confidence: 0.95;
  /** Who `b` is in `comparisons`: the best strategy per column, or a named reference. */
  reference: string;
}

/** The whole comparison, as written to report.json. */
export interface CompareReport {
  format: "ropekit-compare-report";
  version: 2;
  created: string;
  model: { name: string; spec: RopeSpec };
  corpus: { name: string; tokens: number };
  settings: {
    lengths: number[];
    /** The fixed target, or "per-length" when each length was its own target. */
    target: number | "per-length";
    metrics: string[];
    samples: number;
    seed: number;
    /** The needle template the user named, or "default" (each metric's own choice: see its note). */
    template: string;
    digits: number;
    depths: number[];
  };
  /** Per metric, in display order: how to read and draw it. */
  metrics: MetricInfo[];
  strategies: StrategyReport[];
  statistics: StatisticsInfo;
  /** Every strategy against the reference (best per column unless named), per metric and length. */
  comparisons: Comparison[];
  verdicts: Verdict[];
  seconds: number;
}
