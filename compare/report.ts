/**
 * Rendering a {@linkcode CompareReport}: a readable table for the terminal (best per column
 * marked), SVG charts, and a self-contained HTML page; `writeReport` puts them in a folder.
 *
 * @module
 */
import type { CompareReport } from "./compare.ts";
import { lineChart, type Series } from "./svg.ts";

interface Column {
  header: string;
  /** Value per strategy (undefined: not measured). */
  values: (number | undefined)[];
  /** Standard errors, shown as ±. */
  errors?: (number | undefined)[];
  better: "lower" | "higher";
  format: (v: number) => string;
  /** The L0-window baseline for this column, shown in the header line. */
  baseline?: number;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const num = (v: number) => (v >= 100 ? v.toFixed(1) : v.toFixed(3));

/** The report's columns, in display order. */
export function columnsOf(r: CompareReport): Column[] {
  const cols: Column[] = [];
  const S = r.strategies;
  for (const L of r.settings.lengths) {
    if (r.settings.metrics.includes("ppl")) {
      cols.push({
        header: `ppl@${L}`,
        values: S.map((s) => s.ppl?.[L]?.ppl),
        better: "lower",
        format: num,
        baseline: r.baseline?.[L]?.ppl,
      });
    }
  }
  for (const L of r.settings.lengths) {
    if (r.settings.metrics.includes("needle")) {
      cols.push({
        header: `needle@${L}`,
        values: S.map((s) => s.needle?.byLength[L]?.ppl),
        better: "lower",
        format: num,
      });
    }
  }
  for (const L of r.settings.lengths) {
    if (r.settings.metrics.includes("passkey")) {
      cols.push({
        header: `passkey@${L}`,
        values: S.map((s) => s.passkey?.byLength[L]?.mean),
        errors: S.map((s) => s.passkey?.byLength[L]?.stderr),
        better: "higher",
        format: pct,
      });
    }
  }
  if (r.settings.metrics.includes("short")) {
    cols.push({
      header: `short@${r.model.spec.originalContext}`,
      values: S.map((s) => s.short_context?.retention),
      better: "higher",
      format: pct,
    });
  }
  return cols;
}

/** The target the headline table (factors, analysis) was built for. */
export function headlineTarget(r: CompareReport): number {
  return typeof r.settings.target === "number" ? r.settings.target : Math.max(...r.settings.lengths);
}

/** "target 4096" or "target = each length". */
function targetText(r: CompareReport): string {
  return typeof r.settings.target === "number" ? `target ${r.settings.target}` : "target = each length";
}

/** Index of the best value per column (ties: all of them). */
function bestOf(c: Column): Set<number> {
  const vals = c.values.map((v) => (v === undefined || !Number.isFinite(v) ? undefined : v));
  const defined = vals.filter((v): v is number => v !== undefined);
  if (defined.length < 2) return new Set();
  const best = c.better === "lower" ? Math.min(...defined) : Math.max(...defined);
  if (defined.every((v) => v === best)) return new Set(); // nothing to single out
  return new Set(
    vals.flatMap((v, i) => (v !== undefined && Math.abs(v - best) <= 1e-12 * Math.abs(best) ? [i] : [])),
  );
}

/** The terminal table: one row per strategy, best per column marked with `*`. */
export function textReport(r: CompareReport): string {
  const cols = columnsOf(r);
  const header = ["strategy", ...cols.map((c) => c.header)];
  const rows = r.strategies.map((s, i) => [
    s.label,
    ...cols.map((c) => {
      const v = c.values[i];
      if (v === undefined) return "–";
      const best = bestOf(c).has(i) ? "*" : " ";
      return c.format(v) + best;
    }),
  ]);
  const baseline = [
    "L0 windows (original)",
    ...cols.map((c) => (c.baseline === undefined ? "" : c.format(c.baseline) + " ")),
  ];
  const all = [header, ...(cols.some((c) => c.baseline !== undefined) ? [baseline] : []), ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ");
  const out = [
    `model ${r.model.name} (L0 ${r.model.spec.originalContext}, θ ${r.model.spec.theta}, rotary dim ${r.model.spec.rotaryDim})` +
    `  ${targetText(r)}  samples ${r.settings.samples}  seed ${r.settings.seed}`,
    line(header),
    ...all.slice(1).map(line),
    "* best in column (ppl, needle: lower is better; passkey, short-context retention: higher is better)",
  ];
  if (r.validity) out.push(`needle template "${r.settings.template}": ${r.validity.message}`);
  out.push(`finished in ${r.seconds.toFixed(1)} s`);
  return out.join("\n");
}

/** The SVG charts of a report, by file name. */
export function charts(r: CompareReport): Record<string, string> {
  const out: Record<string, string> = {};
  for (const L of r.settings.lengths) {
    if (!r.strategies.some((s) => s.ppl?.[L])) continue;
    const series: Series[] = r.strategies.flatMap((s) =>
      s.ppl?.[L]
        ? [{ name: s.label, points: s.ppl[L].curve.map(([x, y]) => [x, Math.exp(y)] as [number, number]) }]
        : []
    );
    const base = r.baseline?.[L];
    if (base) {
      series.push({ name: "L0 windows", points: base.curve.map(([x, y]) => [x, Math.exp(y)]), dashed: true });
    }
    out[`ppl_by_position_${L}.svg`] = lineChart({
      title: `Perplexity by position, windows of ${L} tokens`,
      xLabel: "position in window",
      yLabel: "perplexity",
      logY: true,
      series,
      markers: [{ x: r.model.spec.originalContext, label: "L0" }],
    });
  }
  if (r.strategies.some((s) => s.needle)) {
    const series: Series[] = r.strategies.flatMap((s) =>
      r.settings.lengths.map((L) => ({
        name: r.settings.lengths.length > 1 ? `${s.label} @${L}` : s.label,
        points: (s.needle?.cells ?? []).filter((c) => c.length === L).map((c) =>
          [c.depth, c.nll.mean] as [number, number]
        ),
      }))
    ).filter((s) => s.points.length);
    out["needle_by_depth.svg"] = lineChart({
      title: "Needle answer NLL by depth",
      xLabel: "needle depth (0 = start of the document)",
      yLabel: "answer NLL (nats/token)",
      series,
    });
  }
  const a = r.strategies[0]?.analysis;
  out["factors.svg"] = lineChart({
    title: `Per-pair rescale factors λ_i at target ${headlineTarget(r)}`,
    xLabel: "frequency pair i",
    yLabel: "λ_i = θ_i / θ'_i",
    logY: true,
    series: r.strategies.map((s) => ({
      name: s.label,
      points: s.factors.map((f, i) => [i, f] as [number, number]),
    })),
    markers: a
      ? [{ x: a.theoreticalCriticalDim, label: "d_tcd" }, { x: a.tenPeriodCriticalDim, label: "d10_tcd" }]
      : [],
  });
  return out;
}

const escHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A self-contained HTML page: settings, table, charts, the raw JSON. */
export function htmlReport(r: CompareReport): string {
  const cols = columnsOf(r);
  const head = `<tr><th>strategy</th>${cols.map((c) => `<th>${escHtml(c.header)}</th>`).join("")}</tr>`;
  const baseline = cols.some((c) => c.baseline !== undefined)
    ? `<tr class="baseline"><td>L0 windows (original RoPE)</td>${
      cols.map((c) => `<td>${c.baseline === undefined ? "" : c.format(c.baseline)}</td>`).join("")
    }</tr>`
    : "";
  const body = r.strategies.map((s, i) =>
    `<tr><td>${escHtml(s.label)}</td>${
      cols.map((c) => {
        const v = c.values[i];
        const err = c.errors?.[i];
        const cell = v === undefined ? "–" : c.format(v) + (err ? ` ± ${c.format(err)}` : "");
        return `<td${bestOf(c).has(i) ? ' class="best"' : ""}>${cell}</td>`;
      }).join("")
    }</tr>`
  ).join("\n");
  const svgs = Object.entries(charts(r)).map(([name, svg]) =>
    `<figure>${svg}<figcaption>${name}</figcaption></figure>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ropekit comparison — ${escHtml(r.model.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.best{font-weight:bold;background:#e8f4ea}.baseline{color:#666;font-style:italic}
figure{margin:1rem 0}figcaption{color:#666;font-size:.8rem}code{background:#f4f4f4;padding:0 .2rem}
.warn{color:#a33}
</style></head><body>
<h1>ropekit comparison</h1>
<p>Model <code>${
    escHtml(r.model.name)
  }</code> (L0 ${r.model.spec.originalContext}, θ ${r.model.spec.theta}, rotary dim ${r.model.spec.rotaryDim},
${r.model.spec.pairing} pairs), corpus <code>${escHtml(r.corpus.name)}</code> (${r.corpus.tokens} tokens), ${
    targetText(r)
  },
lengths ${
    r.settings.lengths.join(", ")
  }, ${r.settings.samples} samples, seed ${r.settings.seed}, ${r.created}.</p>
${
    r.validity
      ? `<p class="${r.validity.valid ? "" : "warn"}">Needle template <code>${
        escHtml(r.settings.template)
      }</code>: ${escHtml(r.validity.message)}</p>`
      : ""
  }
<table>${head}${baseline}${body}</table>
<p>Bold: best in column. Perplexity and needle-driven perplexity: lower is better; passkey accuracy and short-context retention: higher is better.</p>
${svgs.join("\n")}
<details><summary>report.json</summary><pre>${escHtml(JSON.stringify(r, null, 1))}</pre></details>
</body></html>
`;
}

/** Writes report.json, report.html and the SVG charts into `dir` (created if needed); returns the paths. */
export async function writeReport(r: CompareReport, dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const files: Record<string, string> = {
    "report.json": JSON.stringify(r, null, 2) + "\n",
    "report.html": htmlReport(r),
    "report.txt": textReport(r) + "\n",
    ...charts(r),
  };
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir.replace(/\/$/, "")}/${name}`;
    await Deno.writeTextFile(path, text);
    written.push(path);
  }
  return written;
}
