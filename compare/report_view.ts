/**
 * What every renderer of a report draws, computed once: the tables' columns (a metric at one length,
 * with each strategy's value ± standard error and its verdict mark) and the charts (each metric's, then
 * the per-pair factors). Shared by the text, HTML and SVG reports and the web page (no Deno APIs here).
 *
 * @module
 */
import type { ChartPoint, CompareReport, Comparison, MetricChart, MetricInfo } from "./report_types.ts";
import { formatDifference } from "../eval/metrics/metric.ts";

/** One column of a table: a metric at one length. */
export interface Column {
  info: MetricInfo;
  key: string;
  length: number;
  header: string;
  /** Value ± standard error per strategy (undefined: not measured). */
  cells: ({ value: number; stderr: number } | undefined)[];
  /**
   * Per strategy: "best" (significantly better than every other), "indistinguishable" (not
   * distinguishable from the top one) or "".
   */
  marks: ("best" | "indistinguishable" | "")[];
  /** The verdict's equivalence: strategies equivalent to the top one within ±margin. */
  equivalent: boolean[];
  baseline?: number;
}

/**
 * Whether a comparison or verdict belongs to a column. Reports before columns were keyed say only the
 * length, which was the column then.
 */
export function inColumn(
  x: { metric: string; length: number; column?: string },
  metric: string,
  column: { key: string; length: number },
): boolean {
  return x.metric === metric &&
    (x.column === undefined ? x.length === column.length : x.column === column.key);
}

/** The report's columns, in display order (metric by metric, length by length). */
export function columnsOf(r: CompareReport): Column[] {
  return r.metrics.flatMap((info) =>
    info.columns.map(({ key, length, header }) => {
      const v = r.verdicts.find((v) => inColumn(v, info.id, { key, length }));
      return {
        info,
        key,
        length,
        header,
        cells: r.strategies.map((s) => s.metrics[info.id]?.cells[key]),
        marks: r.strategies.map((s) =>
          v?.best === s.label
            ? "best" as const
            : (v?.notDistinguishable ?? v?.tied)?.includes(s.label)
            ? "indistinguishable" as const
            : ""
        ),
        equivalent: r.strategies.map((s) => v?.equivalent?.includes(s.label) ?? false),
        baseline: info.baseline?.values[key],
      };
    })
  );
}

/** A chart ready to draw: the metric's declaration and one line per strategy (the reference dashed, last). */
export interface ChartView extends Omit<MetricChart, "reference"> {
  lines: { name: string; points: ChartPoint[]; dashed?: boolean }[];
  /** x takes integer values (frequency pairs). */
  integerX?: boolean;
}

/** The target the headline table (factors, analysis) was built for. */
export function headlineTarget(r: CompareReport): number {
  return typeof r.settings.target === "number" ? r.settings.target : Math.max(...r.settings.lengths);
}

/**
 * Per metric, each strategy's paired difference against the reference by length, with its 95% interval
 * as the error bar, and a dashed zero line: a bar that crosses it is not significant.
 */
function differenceCharts(r: CompareReport): ChartView[] {
  const named = r.statistics.reference === "best per column" ? undefined : r.statistics.reference;
  return r.metrics.flatMap((info) => {
    // The x axis is the length: a metric with several columns per length (switch) is left to the tables.
    if (new Set(info.columns.map((c) => c.length)).size !== info.columns.length) return [];
    const comparisons = r.comparisons.filter((c) =>
      c.metric === info.id && (named === undefined || c.b === named)
    );
    if (!comparisons.length) return [];
    const lengths = comparisons.map((c) => c.length);
    const lines: ChartView["lines"] = r.strategies.flatMap((s) => {
      const points = comparisons.filter((c) => c.a === s.label).map((c): ChartPoint => [
        c.length,
        c.difference,
        c.ci95[0],
        c.ci95[1],
      ]);
      return points.length ? [{ name: s.label, points }] : [];
    });
    lines.push({
      name: "no difference",
      points: [[Math.min(...lengths), 0], [Math.max(...lengths), 0]],
      dashed: true,
    });
    return [{
      id: `differences_${info.id}`,
      title: `${info.id}: paired difference against ${named ?? "the best of each column"} (95% CI)`,
      xLabel: "length (tokens)",
      yLabel: `a − b (${info.scoreUnit.replace(/^.*[,:] /, "")})`,
      lines,
    }];
  });
}

/** Every chart the report has data for, in display order. */
export function chartsOf(r: CompareReport): ChartView[] {
  const out: ChartView[] = [];
  for (const info of r.metrics) {
    for (const { reference, ...chart } of info.charts ?? []) {
      const lines: ChartView["lines"] = r.strategies.flatMap((s) => {
        const points = s.metrics[info.id]?.lines?.[chart.id];
        return points?.length ? [{ name: s.label, points }] : [];
      });
      if (!lines.length) continue;
      if (reference) lines.push({ ...reference, dashed: true });
      out.push({ ...chart, lines });
    }
  }
  out.push(...differenceCharts(r));
  const a = r.strategies[0]?.analysis;
  out.push({
    id: "factors",
    title: `Per-pair rescale factors λ_i at target ${headlineTarget(r)}`,
    xLabel: "frequency pair i",
    yLabel: "λ_i = θ_i / θ'_i",
    logY: true,
    integerX: true,
    lines: r.strategies.map((s) => ({
      name: s.label,
      points: s.factors.map((f, i) => [i, f] as [number, number]),
    })),
    // Pairs are 0-based on this axis: the paper's 1-based d_tcd and d¹⁰_tcd sit one to the left (LongRoPE2's
    // critical index k and the lower end of its search range).
    markers: a
      ? [
        { x: a.criticalIndex ?? a.theoreticalCriticalDim - 1, label: "k = d_tcd − 1" },
        { x: a.tenPeriodCriticalDim - 1, label: "d10_tcd − 1" },
      ]
      : [],
  });
  return out;
}

/** "how the comparisons were computed", one sentence. */
export function methodText(r: CompareReport): string {
  const s = r.statistics;
  if (!s.tests) {
    // A report written before exact tests: say what it used.
    return `differences a − b in each metric's score unit, 95% CI by ${s.method} (seed ${s.seed})`;
  }
  return `differences a − b in each metric's score unit; 0/1 scores: ${s.tests.binary}; other scores: ` +
    `${s.tests.continuous}; p adjusted by Holm over ${s.family}; significant: adjusted p < ${s.alpha}; ` +
    `95% CI per comparison; b = ${
      s.reference === "best per column" ? "the top strategy of the column" : `${s.reference} (and the top)`
    }${s.recomputed ? `; statistics re-derived by ${s.recomputed}` : ""}`;
}

/** How a p-value reads: 2 significant digits ("0.031", "3.1e-5"). */
export const formatP = (p: number | undefined) =>
  p === undefined || Number.isNaN(p) ? "–" : p < 1e-3 ? p.toExponential(1) : p.toPrecision(2);

/** The verdict of one comparison in words: significance after adjustment, and equivalence when shown. */
export function comparisonVerdict(info: Pick<MetricInfo, "percent" | "scale">, c: Comparison): string {
  const eq = c.equivalence?.equivalent
    ? `, equivalent within ±${formatDifference(info, c.equivalence.margin).replace(/^\+/, "")}`
    : "";
  return (c.significant ? "significant" : "not significant") + eq;
}

/** The power statement of a column, when the report has one. */
export function powerText(
  r: CompareReport,
  info: MetricInfo,
  column: { key: string; length: number },
): string | undefined {
  return r.power?.find((p) => inColumn(p, info.id, column))?.text;
}

/** The legend of the marks. */
export const MARKS_LEGEND =
  "value ± standard error; * best (significantly better than every other strategy of the column after Holm's " +
  "adjustment); ~ not distinguishable from the top strategy (no best); ≡ equivalent to the top within ±margin (TOST)";
