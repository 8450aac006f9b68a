/**
 * The results table (value ± standard error; best in bold only when significantly better than every other
 * strategy of the column, the strategies not distinguishable from the top shaded) and the paired
 * comparisons under it. Columns come from the report's
 * own metric descriptions, as in the text and HTML reports. @module
 */
import type { Report } from "./api.ts";
import {
  columnsOf,
  comparisonVerdict,
  formatP,
  inColumn,
  MARKS_LEGEND,
  methodText,
  powerText,
} from "../compare/report_view.ts";
import { formatDifference, formatValue } from "../eval/metrics/metric.ts";

function cell(tag: "td" | "th", text: string, className = ""): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function resultsTable(r: Report): HTMLTableElement {
  const cols = columnsOf(r);
  const table = document.createElement("table");
  table.className = "results";
  const head = table.createTHead().insertRow();
  head.append(cell("th", "strategy"), ...cols.map((c) => cell("th", c.header)));
  const body = table.createTBody();
  const withBaseline = r.metrics.find((m) => m.baseline);
  if (withBaseline) {
    const row = body.insertRow();
    row.className = "baseline";
    row.append(
      cell("td", withBaseline.baseline!.label),
      ...cols.map((c) => cell("td", c.baseline === undefined ? "" : formatValue(c.info, c.baseline))),
    );
  }
  r.strategies.forEach((s, i) => {
    const row = body.insertRow();
    row.append(
      cell("td", s.label),
      ...cols.map((c) => {
        const v = c.cells[i];
        const text = v === undefined
          ? "–"
          : `${formatValue(c.info, v.value)} ± ${formatValue(c.info, v.stderr)}`;
        return cell("td", text + (c.equivalent[i] ? " ≡" : ""), c.marks[i]);
      }),
    );
  });
  return table;
}

function comparisonsTable(r: Report): HTMLTableElement {
  const table = document.createElement("table");
  table.className = "comparisons";
  const head = table.createTHead().insertRow();
  head.append(
    ...["column", "a − b", "difference", "95% CI", "discordant", "p", "Holm p", ""].map((h) => cell("th", h)),
  );
  const body = table.createTBody();
  for (const c of columnsOf(r)) {
    for (const cmp of r.comparisons.filter((x) => inColumn(x, c.info.id, c))) {
      const row = body.insertRow();
      if (cmp.significant) row.className = "significant";
      const d = (v: number) => formatDifference(c.info, v);
      row.append(
        cell("td", c.header),
        cell("td", `${cmp.a} − ${cmp.b}`),
        cell("td", d(cmp.difference)),
        cell("td", `[${d(cmp.ci95[0])}, ${d(cmp.ci95[1])}]`),
        cell("td", cmp.discordant ? `${cmp.discordant[0]}:${cmp.discordant[1]}` : ""),
        cell("td", formatP(cmp.p)),
        cell("td", formatP(cmp.pAdjusted)),
        cell("td", comparisonVerdict(c.info, cmp)),
      );
    }
  }
  return table;
}

/** Renders the table, the metrics' notes and the paired comparisons into `parent`. */
export function drawTable(parent: HTMLElement, r: Report): void {
  if (r.version !== 2) {
    // A job finished before the metric registry (format version 1) is still downloadable, not drawable.
    parent.textContent = `This report has format version ${r.version}; this page draws version 2. ` +
      "Download report.json or report.html below.";
    return;
  }
  const legend = document.createElement("p");
  legend.className = "legend";
  legend.textContent = `${MARKS_LEGEND}. Bold: best; shaded: not distinguishable from the top.`;
  const notes = document.createElement("ul");
  notes.className = "notes";
  notes.append(...r.metrics.map((m) => {
    const li = document.createElement("li");
    li.textContent = `${m.id}: ${m.description}${m.note ? `; ${m.note}` : ""}`;
    return li;
  }));
  const method = document.createElement("p");
  method.textContent = `Paired comparisons: ${methodText(r)}.`;
  // What each column could have detected at all (the floor under its verdict).
  const power = document.createElement("ul");
  power.className = "power";
  for (const c of columnsOf(r)) {
    const text = powerText(r, c.info, c);
    if (!text) continue;
    const li = document.createElement("li");
    li.textContent = `${c.header}: ${text}`;
    power.append(li);
  }
  parent.replaceChildren(
    resultsTable(r),
    legend,
    notes,
    ...(r.comparisons.length ? [method, comparisonsTable(r), power] : []),
  );
}
