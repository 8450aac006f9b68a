/// <reference lib="dom" />
/**
 * Every run on the server (GET /api/runs: comparisons and searches) with status, strategies, lengths,
 * duration and restarts; filter, open, cancel, delete, and pick comparisons to see side by side. The
 * list is polled while shown, which is also how the page notices the server is back after a restart.
 *
 * @module
 */
import { deleteJson, getJson, type RunSummary } from "./api.ts";
import { $, button, duration, el, showError } from "./dom.ts";
import { go } from "./router.ts";

let runs: RunSummary[] = [];
const selected = new Set<string>();

function matches(r: RunSummary): boolean {
  const q = $<HTMLInputElement>("runs-filter").value.trim().toLowerCase();
  const kind = $<HTMLSelectElement>("runs-kind").value;
  const status = $<HTMLSelectElement>("runs-status").value;
  if (kind && r.kind !== kind) return false;
  if (status && r.status !== status) return false;
  if (!q) return true;
  return [r.id, r.model, r.kind, r.status, ...r.strategies].some((s) => s.toLowerCase().includes(q));
}

const active = (r: RunSummary) => r.status === "queued" || r.status === "running";

function row(r: RunSummary): HTMLTableRowElement {
  const tr = el("tr");
  tr.dataset.id = r.id;
  tr.dataset.kind = r.kind;
  const pick = el("input", "", { type: "checkbox", "aria-label": `Select run ${r.id.slice(0, 8)}` });
  pick.checked = selected.has(r.id);
  pick.disabled = r.kind !== "compare" || r.status !== "done";
  pick.onchange = () => pick.checked ? selected.add(r.id) : selected.delete(r.id);
  const status = el("span", r.status, { class: `status ${r.status}` });
  if (r.error) status.title = r.error;
  const open = r.kind === "compare" ? () => go("run", r.id) : () => go("search", r.id);
  const actions = el("td", "", { class: "actions" });
  actions.append(button("Open", open, { "aria-label": `Open ${r.kind} ${r.id.slice(0, 8)}` }));
  if (active(r)) {
    actions.append(button("Cancel", () => {
      const path = r.kind === "compare" ? `/api/jobs/${r.id}` : `/api/searches/${r.id}`;
      deleteJson(path).then(refreshRuns, (e) => showError("runs-error", e));
    }, { "aria-label": `Cancel ${r.kind} ${r.id.slice(0, 8)}` }));
  } else {
    actions.append(button("Delete", () => {
      if (!confirm(`Delete ${r.kind} ${r.id.slice(0, 8)} and its files?`)) return;
      selected.delete(r.id);
      deleteJson(`/api/runs/${r.id}`).then(refreshRuns, (e) => showError("runs-error", e));
    }, { "aria-label": `Delete ${r.kind} ${r.id.slice(0, 8)}` }));
  }
  const pickCell = el("td");
  pickCell.append(pick);
  const statusCell = el("td");
  statusCell.append(status);
  tr.append(
    pickCell,
    el("td", r.kind),
    statusCell,
    el("td", r.model),
    el("td", r.strategies.join(", ")),
    el("td", r.lengths.join(", ")),
    el("td", duration(r.seconds)),
    el("td", String(r.restarts)),
    el("td", new Date(r.created).toLocaleString()),
    actions,
  );
  return tr;
}

function render() {
  const shown = runs.filter(matches);
  const body = $("runs-table").querySelector("tbody")!;
  // Keep focus on the control the user was on across a refresh.
  const focused = document.activeElement?.getAttribute("aria-label");
  body.replaceChildren(...shown.map(row));
  if (focused) body.querySelector<HTMLElement>(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
  $("runs-empty").hidden = runs.length > 0;
}

/** Reloads the list. */
export async function refreshRuns(): Promise<void> {
  runs = await getJson<RunSummary[]>("/api/runs");
  render();
}

/** The finished comparisons (for the side-by-side picker). */
export function finishedComparisons(): RunSummary[] {
  return runs.filter((r) => r.kind === "compare" && r.status === "done");
}

/** Wires the filters and the side-by-side button. */
export function initRuns(): void {
  for (const id of ["runs-filter", "runs-kind", "runs-status"]) $(id).oninput = render;
  $("runs-side-by-side").onclick = () => {
    if (selected.size < 2) {
      $("runs-error").textContent = "Select two or more finished comparisons first.";
      return;
    }
    go("reports", [...selected].join(","));
  };
}
