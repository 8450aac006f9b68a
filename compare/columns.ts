/**
 * The columns of a report's tables — a metric at one length, with each strategy's value ± standard
 * error and its verdict mark — shared by the text and HTML reports and the web page (no Deno APIs here).
 *
 * @module
 */
import type { CompareReport, MetricInfo } from "./report_types.ts";

/** One column of a table: a metric at one length. */
export interface Column {
  info: MetricInfo;
  key: string;
  length: number;
  header: string;
  /** Value ± standard error per strategy (undefined: not measured). */
  cells: ({ value: number; stderr: number } | undefined)[];
  /** Per strategy: "best" (significantly), "tied" (a leader not significantly apart) or "". */
  marks: ("best" | "tied" | "")[];
  baseline?: number;
}

/** The report's columns, in display order (metric by metric, length by length). */
export function columnsOf(r: CompareReport): Column[] {
  return r.metrics.flatMap((info) =>
    info.columns.map(({ key, length, header }) => {
      const v = r.verdicts.find((v) => v.metric === info.id && v.length === length);
      return {
        info,
        key,
        length,
        header,
        cells: r.strategies.map((s) => s.metrics[info.id]?.cells[key]),
        marks: r.strategies.map((s) =>
          v?.best === s.label ? "best" as const : v?.tied.includes(s.label) ? "tied" as const : ""
        ),
        baseline: info.baseline?.values[key],
      };
    })
  );
}
