/**
 * Rendering a {@linkcode CompareReport}: a readable table for the terminal, SVG charts, and a
 * self-contained HTML page; `writeReport` puts them in a folder. Every metric renders through the
 * description it put in the report (`report.metrics`), so nothing here knows a metric by name.
 *
 * Cells show value ± standard error. A column's best is marked only when it is significantly better than
 * every other strategy of the column after Holm's adjustment; otherwise the strategies not distinguishable
 * from the top one are marked, and those shown equivalent to it (TOST) are marked apart.
 *
 * @module
 */
import type { CompareReport, Comparison, MetricInfo } from "./report_types.ts";
import { formatDifference, formatValue } from "../eval/metrics/metric.ts";
import {
  chartsOf,
  type Column,
  columnsOf,
  comparisonVerdict,
  formatP,
  inColumn,
  MARKS_LEGEND,
  methodText,
  powerText,
} from "./report_view.ts";
export { methodText } from "./report_view.ts";
export { headlineTarget } from "./report_view.ts";
import { lineChart } from "../util/svg_chart.ts";

/** "target 4096" or "target = each length". */
function targetText(r: CompareReport): string {
  return typeof r.settings.target === "number" ? `target ${r.settings.target}` : "target = each length";
}

const cellText = (c: Column, i: number) => {
  const v = c.cells[i];
  return v === undefined ? "–" : `${formatValue(c.info, v.value)} ± ${formatValue(c.info, v.stderr)}`;
};

/** The comparisons of one column, as rows of text cells. */
function comparisonRows(
  r: CompareReport,
  info: MetricInfo,
  column: { key: string; length: number },
): string[][] {
  return r.comparisons.filter((c) => inColumn(c, info.id, column)).map((c: Comparison) => [
    `${c.a} − ${c.b}`,
    formatDifference(info, c.difference),
    `[${formatDifference(info, c.ci95[0])}, ${formatDifference(info, c.ci95[1])}]`,
    c.discordant ? `${c.discordant[0]}:${c.discordant[1]}` : "",
    `p ${formatP(c.p)}`,
    `adj ${formatP(c.pAdjusted)}`,
    comparisonVerdict(info, c),
  ]);
}

/** Marks after a cell: * best, ~ not distinguishable from the top, ≡ equivalent to the top. */
const MARK = { best: "*", indistinguishable: "~", "": " " };

function aligned(rows: string[][], leftColumns = 1): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) =>
    row.map((v, c) => (c < leftColumns ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ").trimEnd()
  );
}

/** The terminal table: one row per strategy, then each column's paired comparisons. */
export function textReport(r: CompareReport): string {
  const cols = columnsOf(r);
  const header = ["strategy", ...cols.map((c) => c.header)];
  const rows = r.strategies.map((s, i) => [
    s.label,
    ...cols.map((c) => cellText(c, i) + MARK[c.marks[i]] + (c.equivalent[i] ? "≡" : "")),
  ]);
  const baselines = r.metrics.filter((m) => m.baseline).map((m) => m.baseline!.label);
  const baseline = [
    baselines[0] ?? "",
    ...cols.map((c) => (c.baseline === undefined ? "" : formatValue(c.info, c.baseline) + " ")),
  ];
  const table = [header, ...(baselines.length ? [baseline] : []), ...rows];
  const out = [
    `model ${r.model.name} (L0 ${r.model.spec.originalContext}, θ ${r.model.spec.theta}, rotary dim ${r.model.spec.rotaryDim})` +
    `  ${targetText(r)}  samples ${r.settings.samples}  seed ${r.settings.seed}`,
    ...aligned(table),
    MARKS_LEGEND,
    ...r.metrics.map((m) => `${m.id}: ${m.description}${m.note ? `; ${m.note}` : ""}`),
  ];
  if (r.comparisons.length) {
    out.push("", `paired comparisons: ${methodText(r)}`);
    for (const c of cols) {
      const rows = comparisonRows(r, c.info, c);
      if (!rows.length) continue;
      const power = powerText(r, c.info, c);
      out.push(
        `${c.header} (${c.info.scoreUnit})`,
        ...aligned(rows).map((l) => `  ${l}`),
        ...(power ? [`  power: ${power}`] : []),
      );
    }
  }
  out.push(`finished in ${r.seconds.toFixed(1)} s`);
  return out.join("\n");
}

/** The SVG charts of a report, by file name (`<chart id>.svg`). */
export function charts(r: CompareReport): Record<string, string> {
  return Object.fromEntries(
    chartsOf(r).map(({ lines, ...chart }) => [
      `${chart.id}.svg`,
      lineChart({
        ...chart,
        // The dashed reference line takes the colour after the strategies', so it never looks like one of them.
        series: lines.map((l, i) => (l.dashed ? { ...l, color: r.strategies.length } : { ...l, color: i })),
      }),
    ]),
  );
}

const escHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A self-contained HTML page: settings, table, comparisons, charts, the raw JSON. */
export function htmlReport(r: CompareReport): string {
  if (r.version !== 2) {
    // A report stored before the metric registry (version 1): its data, without the drawing.
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ropekit comparison</title></head>` +
      `<body><p>A version ${r.version} report (this ropekit draws version 2).</p><pre>${
        escHtml(JSON.stringify(r, null, 1))
      }</pre></body></html>\n`;
  }
  const cols = columnsOf(r);
  const head = `<tr><th>strategy</th>${cols.map((c) => `<th>${escHtml(c.header)}</th>`).join("")}</tr>`;
  const withBaseline = r.metrics.find((m) => m.baseline);
  const baseline = withBaseline
    ? `<tr class="baseline"><td>${escHtml(withBaseline.baseline!.label)}</td>${
      cols.map((c) => `<td>${c.baseline === undefined ? "" : formatValue(c.info, c.baseline)}</td>`).join("")
    }</tr>`
    : "";
  const body = r.strategies.map((s, i) =>
    `<tr><td>${escHtml(s.label)}</td>${
      cols.map((c) =>
        `<td${c.marks[i] ? ` class="${c.marks[i]}"` : ""}>${escHtml(cellText(c, i))}${
          c.equivalent[i] ? " ≡" : ""
        }</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  const comparisons = cols.flatMap((c) =>
    comparisonRows(r, c.info, c).map((row) =>
      `<tr${row[6].startsWith("significant") ? ' class="significant"' : ""}><td>${escHtml(c.header)}</td>${
        row.map((v) => `<td>${escHtml(v)}</td>`).join("")
      }</tr>`
    )
  );
  const svgs = Object.entries(charts(r)).map(([name, svg]) =>
    `<figure>${svg}<figcaption>${name}</figcaption></figure>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ropekit comparison — ${escHtml(r.model.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.best{font-weight:bold;background:#e8f4ea}.indistinguishable{background:#f4f1e0}
.baseline{color:#666;font-style:italic}.significant{font-weight:bold}
figure{margin:1rem 0}figcaption{color:#666;font-size:.8rem}code{background:#f4f4f4;padding:0 .2rem}
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
<table>${head}${baseline}${body}</table>
<p>Value ± standard error. Bold: best, significantly better than every other strategy of the column after Holm's
adjustment; shaded: not distinguishable from the top strategy (there is no best); ≡: equivalent to the top within
±margin (TOST).</p>
<ul>${
    r.metrics.map((m) =>
      `<li><b>${escHtml(m.id)}</b>: ${escHtml(m.description)}${m.note ? `; ${escHtml(m.note)}` : ""}</li>`
    )
      .join("")
  }</ul>
${
    comparisons.length
      ? `<h2>Paired comparisons</h2><p>${escHtml(methodText(r))}.</p>
<table><tr><th>column</th><th>a − b</th><th>difference</th><th>95% CI</th><th>discordant</th><th>p</th><th>Holm p</th><th></th></tr>${
        comparisons.join("\n")
      }</table>
<ul>${
        cols.flatMap((c) => {
          const p = powerText(r, c.info, c);
          return p ? [`<li>${escHtml(c.header)}: ${escHtml(p)}</li>`] : [];
        }).join("")
      }</ul>`
      : ""
  }
${svgs.join("\n")}
<details><summary>report.json</summary><pre>${escHtml(JSON.stringify(r, null, 1))}</pre></details>
</body></html>
`;
}

/**
 * Writes report.json, report.html and the SVG charts into `dir` (created if needed); returns the paths.
 *
 * @example Write a comparison's report files into a temporary folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeReport } from "./report.ts";
 * import { compare } from "./compare.ts";
 * import { resolveEntry } from "../entries/mod.ts";
 * import { loadCorpus } from "../eval/corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 * import { builtinRegistry } from "../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const registry = builtinRegistry();
 * const strategies = await Promise.all(["pi", "ntk"].map((e) => resolveEntry(e, { registry })));
 * const report = await compare({
 *   model,
 *   modelName: "facts837K",
 *   strategies,
 *   corpus,
 *   lengths: [512],
 *   metrics: ["ppl"],
 *   samples: 2,
 *   seed: 0,
 * });
 * const dir = await Deno.makeTempDir();
 * const written = await writeReport(report, dir);
 * assert.ok(written.includes(`${dir}/report.html`) && written.includes(`${dir}/report.json`));
 * assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/report.json`)).model.name, "facts837K");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
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
