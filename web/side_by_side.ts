/// <reference lib="dom" />
/**
 * Two or more finished comparisons side by side: one table whose rows are every run's strategies
 * under the union of their columns (value ± standard error, each run's own best / not-distinguishable marks), their
 * charts overlaid, and a warning naming every setting that differs — rows measured under different
 * settings are not comparable as they stand. @module
 */
import { getJson, type Report, type RunSummary } from "./api.ts";
import { drawOverlaid } from "./charts.ts";
import { $, el, showError } from "./dom.ts";
import { go } from "./router.ts";
import { columnsOf } from "../compare/report_view.ts";
import { formatValue } from "../eval/metrics/metric.ts";

/** The settings two reports must share to be read side by side, in words. */
function settingsOf(r: Report): Record<string, string> {
  return {
    model: r.model.name,
    text: r.corpus.name,
    ...Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, JSON.stringify(v)])),
  };
}

/** What differs between the reports: "samples: 2 / 4", one entry per setting. */
export function differingSettings(reports: Report[]): string[] {
  const all = reports.map(settingsOf);
  return Object.keys(all[0]).flatMap((k) => {
    const values = all.map((s) => s[k]);
    return new Set(values).size > 1 ? [`${k}: ${values.join(" / ")}`] : [];
  });
}

function table(tagged: { tag: string; report: Report }[]): HTMLTableElement {
  const headers: string[] = [];
  for (const { report } of tagged) {
    for (const c of columnsOf(report)) if (!headers.includes(c.header)) headers.push(c.header);
  }
  const t = el("table", "", { class: "results side-by-side" });
  t.append(el("caption", "Every run's strategies; value ± standard error; marks are each run's own"));
  const head = t.createTHead().insertRow();
  head.append(el("th", "run", { scope: "col" }), el("th", "strategy", { scope: "col" }));
  head.append(...headers.map((h) => el("th", h, { scope: "col" })));
  const body = t.createTBody();
  for (const { tag, report } of tagged) {
    const cols = columnsOf(report);
    report.strategies.forEach((s, i) => {
      const row = body.insertRow();
      row.append(el("td", tag), el("th", s.label, { scope: "row" }));
      for (const h of headers) {
        const c = cols.find((x) => x.header === h);
        const v = c?.cells[i];
        row.append(
          el("td", v && c ? `${formatValue(c.info, v.value)} ± ${formatValue(c.info, v.stderr)}` : "–", {
            class: c?.marks[i] ?? "",
          }),
        );
      }
    });
  }
  return t;
}

/** Shows the reports of `ids` side by side. */
export async function showSideBySide(ids: string[]): Promise<void> {
  $("reports-warning").hidden = true;
  $("reports-table").replaceChildren();
  $("reports-charts").replaceChildren();
  if (ids.length < 2) return;
  let reports: Report[];
  try {
    reports = await Promise.all(ids.map((id) => getJson<Report>(`/api/jobs/${id}/report.json`)));
  } catch (e) {
    showError("reports-warning", e);
    $("reports-warning").hidden = false;
    return;
  }
  if (reports.some((r) => r.version !== 2)) {
    $("reports-warning").textContent =
      "A report of an older format (before version 2) cannot be drawn here; " +
      "download its report.json or report.html from its run.";
    $("reports-warning").hidden = false;
    return;
  }
  const tagged = reports.map((report, i) => ({ tag: `run ${i + 1} (${ids[i].slice(0, 8)})`, report }));
  const models = new Set(reports.map((r) => r.model.name));
  const differ = differingSettings(reports);
  if (models.size > 1) {
    $("reports-warning").textContent =
      `These comparisons are of different models (${[...models].join(", ")}): ` +
      "pick comparisons of the same model.";
    $("reports-warning").hidden = false;
    return;
  }
  if (differ.length) {
    $("reports-warning").textContent =
      `Settings differ, so rows of different runs are not directly comparable — ${differ.join("; ")}.`;
    $("reports-warning").hidden = false;
  }
  $("reports-table").append(table(tagged));
  drawOverlaid($("reports-charts"), tagged);
}

/** The picker: one checkbox per finished comparison, pre-ticked from the location. */
export function fillReportPicker(done: RunSummary[], ticked: string[]): void {
  $("reports-pick").replaceChildren(...done.map((r) => {
    const label = el("label");
    const box = el("input", "", { type: "checkbox", value: r.id });
    box.checked = ticked.includes(r.id);
    label.append(
      box,
      ` ${r.id.slice(0, 8)} · ${r.model} · ${r.strategies.join(", ")} · ${r.lengths.join(", ")}`,
    );
    return label;
  }));
  $("reports-show").onclick = () => {
    const ids = [...document.querySelectorAll<HTMLInputElement>("#reports-pick input:checked")].map((b) =>
      b.value
    );
    go("reports", ids.join(","));
  };
}
