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
import type { PairedIntervalName, PairedTestName } from "../util/paired_comparison.ts";

export type {
  ChartPoint,
  MetricCell,
  MetricChart,
  MetricColumn,
  MetricInfo,
  MetricResult,
} from "../eval/metrics/metric.ts";
export type { PairedIntervalName, PairedTestName } from "../util/paired_comparison.ts";

/** One strategy's results. */
export interface StrategyReport {
  /** The row's label: the entry as the user wrote it (e.g. "yarn:factor=4"), unique in the report. */
  label: string;
  /** The strategy's registry name (e.g. "yarn"), or a plugin's declared name. */
  name: string;
  /** The parameters the tables were built with, defaults filled in. */
  params: Params;
  /** The long table (what the target length runs with). */
  invFreq: number[];
  /** The long table's attention scale (multiplies the logits; 1 for strategies without one). */
  attentionScale: number;
  /** Short set (used within L0), when the strategy has one. */
  short?: { invFreq: number[]; attentionScale: number; switchLength: number };
  /** Per-pair factor λ_i = θ_i / θ'_i of the long table. */
  factors: number[];
  /** The critical-dimension analysis of the long table at the headline target. */
  analysis: CriticalAnalysis;
  /** What each metric measured, by metric id. */
  metrics: Record<string, MetricResult>;
  /** Wall-clock seconds spent on this strategy (tables and every metric). */
  seconds: number;
}

/**
 * A paired difference between two strategies on one metric at one length: mean score of `a` minus mean
 * score of `b` over the same documents, in the metric's score unit (`MetricInfo.scoreUnit`), with an
 * exact test, its Holm-adjusted p-value, and an interval (`docs/statistics.md`).
 */
export interface Comparison {
  /** The metric's id (e.g. "ppl"). */
  metric: string;
  /** The evaluation length in tokens. */
  length: number;
  /** The column's key: the length, or e.g. a policy where a metric has several columns per length. */
  column?: string;
  /** The label of the strategy compared. */
  a: string;
  /** The label it is compared against: the column's best, or the named reference. */
  b: string;
  /** mean(a) − mean(b) over the compared documents. */
  difference: number;
  /** Standard error of the mean paired difference. */
  stderr: number;
  /** Documents (or independent windows) paired. */
  n: number;
  /** The test behind `p`: "exact McNemar" for 0/1 scores, else the (exact or Monte Carlo) sign-flip test. */
  test: PairedTestName;
  /** The method of `ci95`. */
  interval: PairedIntervalName;
  /** Two-sided p-value of "no difference", unadjusted. */
  p: number;
  /** `p` adjusted by Holm's step-down method over the comparison's family. */
  pAdjusted: number;
  /** The family `pAdjusted` is adjusted over (see `StatisticsInfo.family`). */
  family: string;
  /** 95% interval of the difference (per comparison, not adjusted). */
  ci95: [number, number];
  /** For 0/1 scores: [documents only a got right, documents only b got right]. */
  discordant?: [number, number];
  /** TOST against the metric's margin: equivalent when the adjusted p < 0.05. */
  equivalence?: { margin: number; p: number; pAdjusted: number; equivalent: boolean };
  /** pAdjusted < 0.05. */
  significant: boolean;
}

/**
 * Who leads a column: a best only when it is significantly better than every other strategy of the
 * column after adjustment; otherwise the strategies not distinguishable from the top one.
 */
export interface Verdict {
  /** The metric's id (e.g. "needle"). */
  metric: string;
  /** The evaluation length in tokens. */
  length: number;
  /** The column's key: the length, or e.g. a policy where a metric has several columns per length. */
  column?: string;
  /** The leader, when significantly better than every other strategy of the column. */
  best?: string;
  /** Otherwise the top strategy by mean and every one whose difference with it is not significant. */
  notDistinguishable: string[];
  /** Strategies shown equivalent to the top one within ±margin (TOST, adjusted). */
  equivalent: string[];
  /** The equivalence margin of the column's metric, in its score unit. */
  margin: number;
  /** Reports written before exact tests (ropekit ≤ issue 21) said "tied" here; read for old reports only. */
  tied?: string[];
}

/** What a column could have detected at all: the floor of its verdict. */
export interface ColumnPower {
  /** The metric's id. */
  metric: string;
  /** The evaluation length in tokens. */
  length: number;
  /** The column's key, where a metric has several columns per length. */
  column?: string;
  /** Documents (or independent windows) per comparison. */
  n: number;
  /** Comparisons in the column's family (Holm's first step tests at 0.05 / familySize). */
  familySize: number;
  /** 0/1 scores: the fewest discordant documents, all one way, significant at 0.05 unadjusted. */
  minDiscordant?: number;
  /** …and at Holm's first step; absent when n documents cannot reach it. */
  minDiscordantAdjusted?: number;
  /** Continuous scores: the mean difference a paired t test at 0.05 / familySize detects with 80% power. */
  detectable?: number;
  /** The same in words, e.g. "n = 8 can show a difference only with ≥ 6 discordant documents all one way". */
  text: string;
}

/** How the comparisons were computed. */
export interface StatisticsInfo {
  /** The method in words; one value, so a reader can refuse a report from another method. */
  method: "exact paired tests, Holm-adjusted";
  /** The test and interval per kind of score. */
  tests: { binary: string; continuous: string };
  /** Monte Carlo sign flips above 20 pairs. */
  resamples: number;
  /** The comparison's seed, which fixed the Monte Carlo flips. */
  seed: number;
  /** Coverage of every `ci95`. */
  confidence: 0.95;
  /** The level `significant` and equivalence are judged at, after Holm's adjustment. */
  alpha: 0.05;
  /** Which comparisons form one family for Holm's adjustment. */
  family: string;
  /** A pre-registered primary column (METRIC@LENGTH) tested as its own family. */
  primary?: string;
  /** Equivalence margin per metric, in its score unit. */
  margins: Record<string, number>;
  /** Who `b` is in `comparisons`: the best strategy per column, or a named reference. */
  reference: string;
  /** Set when the statistics were re-derived later from the report's own per-document scores: by what. */
  recomputed?: string;
}

/** The whole comparison, as written to report.json. */
export interface CompareReport {
  /** Marks the file as a ropekit comparison report. */
  format: "ropekit-compare-report";
  /** The shape's version; readers refuse versions they do not know. */
  version: 2;
  /** When the comparison finished: an ISO 8601 UTC timestamp. */
  created: string;
  /** The model: where it came from, and its RoPE spec (what every strategy's tables extend). */
  model: { name: string; spec: RopeSpec };
  /** The evaluation text: where it came from, and its length in tokens. */
  corpus: { name: string; tokens: number };
  /** The options the comparison ran with, for rerunning it. */
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
  /** One row per strategy, in the order the options gave them. */
  strategies: StrategyReport[];
  /** How `comparisons` and `verdicts` were computed. */
  statistics: StatisticsInfo;
  /** Every strategy against the reference (best per column unless named), per metric and length. */
  comparisons: Comparison[];
  /** Per column: the best strategy, or those not distinguishable from the top one. */
  verdicts: Verdict[];
  /** Per column, the smallest difference its test could detect. */
  power?: ColumnPower[];
  /** Wall-clock seconds the whole comparison took. */
  seconds: number;
}
