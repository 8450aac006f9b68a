/** The results table: one row per strategy, best value per column in bold. @module */
import type { Report } from "./api.ts";

interface Column {
  header: string;
  values: (number | undefined)[];
  baseline?: number;
  better: "lower" | "higher";
  percent?: boolean;
}

function columns(r: Report): Column[] {
  const S = r.strategies, has = (m: string) => r.settings.metrics.includes(m);
  const cols: Column[] = [];
  for (const L of r.settings.lengths) {
    if (has("ppl")) {
      cols.push({
        header: `ppl@${L}`,
        values: S.map((s) => s.ppl?.[L]?.ppl),
        baseline: r.baseline?.[L]?.ppl,
        better: "lower",
      });
    }
    if (has("needle")) {
      cols.push({
        header: `needle@${L}`,
        values: S.map((s) => s.needle?.byLength[L]?.ppl),
        better: "lower",
      });
    }
    if (has("passkey")) {
      cols.push({
        header: `passkey@${L}`,
        values: S.map((s) => s.passkey?.byLength[L]?.mean),
        better: "higher",
        percent: true,
      });
    }
  }
  if (has("short")) {
    cols.push({
      header: `short@${r.model.spec.originalContext}`,
      values: S.map((s) => s.short_context?.retention),
      better: "higher",
      percent: true,
    });
  }
  return cols;
}

const format = (v: number, percent?: boolean) =>
  percent ? `${(100 * v).toFixed(1)}%` : v >= 100 ? v.toFixed(1) : v.toFixed(3);

function cell(tag: "td" | "th", text: string, className = ""): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

/** Renders the table into `parent`. */
export function drawTable(parent: HTMLElement, r: Report): void {
  const cols = columns(r);
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  head.append(cell("th", "strategy"), ...cols.map((c) => cell("th", c.header)));
  const body = table.createTBody();
  if (cols.some((c) => c.baseline !== undefined)) {
    const row = body.insertRow();
    row.className = "baseline";
    row.append(
      cell("td", "L0 windows (original RoPE)"),
      ...cols.map((c) => cell("td", c.baseline === undefined ? "" : format(c.baseline))),
    );
  }
  r.strategies.forEach((s, i) => {
    const row = body.insertRow();
    row.append(
      cell("td", s.label),
      ...cols.map((c) => {
        const v = c.values[i];
        const finite = c.values.filter((x): x is number => x !== undefined && Number.isFinite(x));
        const best = c.better === "lower" ? Math.min(...finite) : Math.max(...finite);
        const isBest = v !== undefined && finite.length > 1 && v === best && finite.some((x) => x !== best);
        return cell("td", v === undefined ? "–" : format(v, c.percent), isBest ? "best" : "");
      }),
    );
  });
  parent.replaceChildren(table);
}
