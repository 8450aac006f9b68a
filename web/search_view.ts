/// <reference lib="dom" />
/**
 * Search from the page: LongRoPE/LongRoPE2 factors or any strategy's parameters, with budget, seeds
 * and the searched text range; live progress over server-sent events (best fitness per generation
 * with its spread, the best candidate's critical index, the search's own ETA). The EventSource
 * reconnects after a server restart, and the server resumes the search from its journal. The result
 * opens as a strategy row of a new comparison.
 *
 * @module
 */
import { type CatalogEntry, deleteJson, postJson, type SearchRecord, type StrategyInfo } from "./api.ts";
import { lineChart } from "./charts.ts";
import { $, el, fillSelect, showError } from "./dom.ts";
import { go } from "./router.ts";
import { newComparisonWith } from "./compare_form.ts";

let events: EventSource | undefined;
let followed: string | undefined;

const num = (id: string) =>
  $<HTMLInputElement>(id).value.trim() === "" ? undefined : Number($<HTMLInputElement>(id).value);

async function submit(ev: SubmitEvent) {
  ev.preventDefault();
  $("search-error").textContent = "";
  try {
    const budget = $<HTMLInputElement>("search-budget").value.trim();
    const body = {
      model: $<HTMLSelectElement>("search-model").value,
      text: $<HTMLSelectElement>("search-text").value,
      strategy: $<HTMLSelectElement>("search-strategy").value,
      target: num("search-target"),
      ...(budget ? { budget } : {}),
      seeds: num("search-seeds"),
      seed: num("search-seed"),
      population: num("search-population"),
      generations: num("search-generations"),
      samples: num("search-samples"),
      text_range: [num("search-range-a") ?? 0.5, num("search-range-b") ?? 1],
    };
    const rec = await postJson<SearchRecord>("/api/searches", body);
    go("search", rec.id);
  } catch (e) {
    showError("search-error", e);
  }
}

function render(rec: SearchRecord) {
  $("search-live").hidden = false;
  $("search-id").textContent = rec.id;
  $("search-status").textContent = rec.status + (rec.restarts ? ` (resumed ${rec.restarts}×)` : "") +
    (rec.error ? `: ${rec.error}` : "");
  $("search-status").className = `status ${rec.status}`;
  const p = rec.progress;
  // The search's own progress line: generation, evaluations, best, rate, elapsed and ETA.
  $("search-line").textContent = p?.line ? p.line : rec.status === "running" ? "starting…" : "";
  $<HTMLButtonElement>("search-cancel").disabled = rec.status !== "running" && rec.status !== "queued";
  const gens = p?.generations ?? [];
  const body = $("search-generations-table").querySelector("tbody")!;
  body.replaceChildren(...gens.map((g) => {
    const tr = el("tr");
    tr.append(
      el("td", String(g.seed)),
      el("td", String(g.generation)),
      el("td", g.best.toPrecision(6)),
      el("td", g.nll_stderr === undefined ? "–" : `±${g.nll_stderr.toPrecision(3)}`),
      el("td", g.critical_index === undefined ? "–" : String(g.critical_index)),
    );
    return tr;
  }));
  $("search-chart").replaceChildren();
  if (gens.length) {
    const seeds = [...new Set(gens.map((g) => g.seed))];
    // The fitness is exp(mean NLL): its ±1 SE band is the NLL's, mapped through exp.
    lineChart(
      $("search-chart"),
      "Best fitness so far by generation (±1 SE of its NLL)",
      {
        x: "generation",
        y: "fitness (lower is better)",
        integerX: true,
      },
      seeds.map((s) => ({
        name: `seed ${s}`,
        points: gens.filter((g) => g.seed === s).map((g) => {
          const se = g.nll_stderr ?? 0;
          return [g.generation, g.best, g.best * Math.exp(-se), g.best * Math.exp(se)];
        }),
      })),
    );
  }
  const r = rec.result;
  $("search-result").hidden = !r;
  if (r) {
    $("search-result-text").textContent = `Result: ${r.strategy} with fitness ${r.fitness.toPrecision(6)}` +
      (r.fitness_stderr !== undefined ? ` (NLL SE ±${r.fitness_stderr.toPrecision(3)})` : "") +
      ` on the re-scoring documents` +
      (r.seeds.length > 1
        ? `; best of ${r.seeds.length} seeds (${r.seeds.map((s) => s.fitness.toPrecision(4)).join(", ")})`
        : "") +
      ".";
    $("search-use").onclick = () =>
      newComparisonWith(
        r.strategy,
        { params: r.params, label: `${r.strategy} (search ${rec.id.slice(0, 8)})` },
        rec.request.model,
        rec.request.target,
      );
  }
}

/** Stops following a search. */
export function leaveSearch(): void {
  events?.close();
  events = undefined;
  followed = undefined;
}

/** Follows search `id` (its events carry the whole record each time it changes). */
export function openSearch(id: string | undefined): void {
  if (id === undefined) {
    leaveSearch();
    $("search-live").hidden = true;
    return;
  }
  if (followed === id) return;
  leaveSearch();
  followed = id;
  $("search-cancel").onclick = () =>
    deleteJson<SearchRecord>(`/api/searches/${id}`).then(render, (e) => showError("search-error", e));
  events = new EventSource(`/api/searches/${id}/events`);
  events.addEventListener("status", (e) => {
    const rec = JSON.parse((e as MessageEvent).data) as SearchRecord;
    render(rec);
    if (rec.status !== "running" && rec.status !== "queued") events?.close();
  });
}

/** Fills the form. */
export function initSearch(strategies: StrategyInfo[], models: CatalogEntry[], texts: CatalogEntry[]): void {
  fillSelect($("search-model"), models);
  fillSelect($("search-text"), texts);
  const select = $<HTMLSelectElement>("search-strategy");
  select.replaceChildren(
    ...strategies.filter((s) => s.name !== "default" && s.builtin !== false).map((s) =>
      new Option(
        s.name === "longrope2"
          ? "longrope2 (factors + critical index)"
          : s.name === "longrope"
          ? "longrope (factors)"
          : `${s.name} (its parameters)`,
        s.name,
        s.name === "longrope2",
        s.name === "longrope2",
      )
    ),
  );
  $<HTMLFormElement>("search-form").onsubmit = submit;
}
