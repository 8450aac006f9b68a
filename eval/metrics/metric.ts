/**
 * The metric seam: what `compare` needs from a metric and the report shapes a metric produces. A metric
 * scores every strategy on the same documents (or windows), returns one score per document, and
 * declares how its values read (direction, scale, percent) and what it charts, so the text table,
 * report.html, the SVG charts, the server and the web page render it without knowing which metric it is.
 *
 * Scores are in the metric's own unit (mean NLL in nats, 1/0 for a hit, log-retention); the value a
 * column shows is `exp(mean score)` (`scale: "exp"`) or the mean itself (`scale: "linear"`). Paired
 * comparisons (`compare/statistics.ts`) are computed on scores.
 *
 * This file imports only types and util/stats.ts (pure), so the web page can import it too.
 *
 * @module
 */
import type { LanguageModel, TableFor } from "../language_model.ts";
import type { Corpus } from "../corpus.ts";
import type { NeedleTemplate } from "../needle.ts";
import type { ProgressSink } from "../../util/progress.ts";
import { estimate } from "../../util/stats.ts";

/** One column's worth of a metric for one strategy: a metric at one length. */
export interface MetricCell {
  /** What the column shows: exp(mean) for `scale: "exp"`, else the mean. */
  value: number;
  /** Standard error of `value` (for `scale: "exp"`, value × SE of the mean score: the delta method). */
  stderr: number;
  /** Mean of the per-document scores. */
  mean: number;
  /** How many documents (or windows) were scored: the length of `scores`. */
  n: number;
  /** One score per document: the same documents, in the same order, for every strategy. */
  scores: number[];
  /**
   * Indices into `scores` of documents that share no tokens (e.g. windows that do not overlap): the paired
   * statistics use only these. Absent: every document is independent.
   */
  independent?: number[];
}

/**
 * A point of a chart line: x, y, and optionally an error bar — y's standard error (drawn as y ± it), or
 * an interval's low and high ends (e.g. a 95% CI, which need not be symmetric).
 */
export type ChartPoint = [number, number] | [number, number, number] | [number, number, number, number];

/** What one metric measured for one strategy. */
export interface MetricResult {
  /** Cells by column key (see {@linkcode MetricColumn}). */
  cells: Record<string, MetricCell>;
  /** This strategy's line in each of the metric's charts, by chart id. */
  lines?: Record<string, ChartPoint[]>;
  /** Metric-specific detail for readers of report.json (per-depth cells, trials, buckets). */
  detail?: unknown;
}

/** One column of the tables. */
export interface MetricColumn {
  /** Key into {@linkcode MetricResult.cells}: the length as a string. */
  key: string;
  /** The length (tokens) the column measures. */
  length: number;
  /** e.g. "needle@512". */
  header: string;
}

/** A chart a metric draws: one line per strategy from {@linkcode MetricResult.lines}. */
export interface MetricChart {
  /** Chart id; the SVG file is `<id>.svg`. */
  id: string;
  /** The heading drawn above the chart, e.g. "Perplexity by position". */
  title: string;
  /** The horizontal axis's caption, with its unit (e.g. "position (tokens)"). */
  xLabel: string;
  /** The vertical axis's caption, with its unit (e.g. "perplexity"). */
  yLabel: string;
  /** Draw the vertical axis on a log scale (perplexities spanning orders of magnitude). */
  logY?: boolean;
  /** Vertical markers, e.g. L0. */
  markers?: { x: number; label: string }[];
  /** A dashed reference line (e.g. the L0-window baseline). */
  reference?: { name: string; points: ChartPoint[] };
}

/** What a report says about one metric: everything a renderer needs to draw its columns and charts. */
export interface MetricInfo {
  /** The metric's id in the registry and in `--metrics` (e.g. "ppl", "needle"). */
  id: string;
  /** One line for help texts and the report: what the metric measures. */
  description: string;
  /** Which direction of the score is the better strategy (perplexity: lower; accuracy: higher). */
  better: "lower" | "higher";
  /**
   * How a cell's mean score is shown: "exp" exponentiates it (mean NLL in nats → perplexity),
   * "linear" shows it as it is (accuracy, a fraction in [0, 1]).
   */
  scale: "exp" | "linear";
  /** Values render as percentages. */
  percent: boolean;
  /** The unit of scores and hence of comparisons' differences. */
  scoreUnit: string;
  /** Scores are 0 or 1 (exact match per document): compared by McNemar's test, not a sign-flip test. */
  binary?: boolean;
  /** The margin within which two strategies count as equivalent, in the score unit (default 0.02 nats, 0.10 accuracy). */
  margin?: number;
  /** The report table's columns for this metric: one per evaluation length (or length and depth). */
  columns: MetricColumn[];
  /** A reference row under the header (e.g. the L0-window baseline's perplexity), by column key. */
  baseline?: { label: string; values: Record<string, number> };
  /** Settings the metric chose and why (template, validity): shown under the table. */
  note?: string;
  /**
   * Why this metric's values cannot rank strategies (a needle template that fails the validity check):
   * its columns are labelled "not valid" and get no comparisons and no verdict.
   */
  invalid?: string;
  /** The charts the metric draws in the HTML report, when any. */
  charts?: MetricChart[];
  /** Metric-specific shared results (the validity check, baselines), for readers of report.json. */
  detail?: unknown;
}

/** The tables of one strategy. */
export interface StrategyTables {
  /** The table used at each evaluation length (its own target unless a fixed target was given). */
  forLength(length: number): TableFor;
  /** The table of the headline target (used within L0 by short-context retention). */
  headline: TableFor;
}

/** What a metric may read: the comparison's shared settings. */
export interface MetricContext {
  /** The model every strategy is scored on (local, a queue of workers, or a reference engine). */
  model: LanguageModel;
  /** The evaluation text, tokenized once; metrics draw their windows and fillers from it. */
  corpus: Corpus;
  /** The evaluation lengths in tokens, ascending (each may exceed the model's original context). */
  lengths: number[];
  /** Windows / documents per length. */
  samples: number;
  /** The comparison's seed; each metric derives its own document seed from it. */
  seed: number;
  /** A needle template the user chose (otherwise each needle metric uses its own default). */
  template?: NeedleTemplate;
  /** Digits of numeric answers (magic number, passkey). */
  digits: number;
  /** Needle depths (fractions of the filler before the needle). */
  depths: number[];
  /** The original RoPE. */
  original: TableFor;
  /** Receives a metric's progress (task, done of total) for the CLI's bar or the server's events. */
  onProgress?: ProgressSink;
  /** Throws when the comparison was cancelled. */
  check(): void;
}

/** A metric prepared for one comparison: shared work done, ready to score strategies. */
export interface PreparedMetric {
  /** What the report says about the metric, fixed once its shared work is done. */
  info: MetricInfo;
  /** Scores one strategy on the metric's documents (the same for every strategy). */
  run(tables: StrategyTables, label: string): Promise<MetricResult>;
}

/** A metric: declared once, prepared per comparison. */
export interface Metric {
  /** The id `--metrics` and the API name it by (e.g. "ppl", "passkey"); unique in the registry. */
  id: string;
  /** One line for help texts: what the metric measures. */
  description: string;
  /** The comparison options it reads (for help texts and the API). */
  options: readonly (keyof MetricContext)[];
  /** Shared work before any strategy (baselines, the validity check, choosing a template). */
  prepare(ctx: MetricContext): Promise<PreparedMetric>;
}

/** Summarises per-document scores into a cell. */
export function summarise(scores: number[], scale: MetricInfo["scale"]): MetricCell {
  const { mean, stderr, n } = estimate(scores);
  const value = scale === "exp" ? Math.exp(mean) : mean;
  return { value, stderr: scale === "exp" ? value * stderr : stderr, mean, n, scores };
}

/** A document seed of its own per metric, so no metric reuses another's documents. */
export function metricSeed(seed: number, salt: number): number {
  return salt === 0 ? seed : seed * 7919 + salt;
}

/** How a metric's values read in tables: "12.3%" or "2.071". */
export function formatValue(info: Pick<MetricInfo, "percent">, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return info.percent ? `${(100 * v).toFixed(1)}%` : v >= 100 ? v.toFixed(1) : v.toFixed(3);
}

/**
 * How a difference of scores reads: "+0.123" in the score unit, or percentage points where the scores are
 * the percentages themselves (a linear percent metric such as an accuracy).
 */
export function formatDifference(info: Pick<MetricInfo, "percent" | "scale">, d: number): string {
  if (!Number.isFinite(d)) return String(d);
  const s = info.percent && info.scale === "linear" ? `${(100 * d).toFixed(1)}pp` : d.toFixed(3);
  return d > 0 ? `+${s}` : s;
}

/** Columns at each evaluation length, e.g. ppl@512, ppl@1024. */
export function lengthColumns(id: string, lengths: number[]): MetricColumn[] {
  return lengths.map((length) => ({ key: String(length), length, header: `${id}@${length}` }));
}
