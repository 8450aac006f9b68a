/// <reference lib="dom" />
/**
 * The page: fill the form from the server's declared spaces, submit a comparison, follow it over
 * server-sent events, then draw the table and charts and offer the report files.
 *
 * @module
 */
import "./style.css";
import {
  ApiError,
  type CatalogEntry,
  deleteJson,
  getJson,
  type Job,
  type Options,
  postJson,
  type Report,
  type StrategyInfo,
} from "./api.ts";
import { drawCharts } from "./charts.ts";
import { drawTable } from "./results_table.ts";
import { addStrategyRow, readStrategyRows } from "./strategy_form.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let strategies: StrategyInfo[] = [];
let events: EventSource | undefined;
let currentJob: string | undefined;

function fillSelect(select: HTMLSelectElement, entries: CatalogEntry[]) {
  select.replaceChildren(...entries.map((e) => new Option(`${e.id} (${e.format})`, e.id)));
}

function showError(e: unknown) {
  $("form-error").textContent = e instanceof Error ? e.message : String(e);
  if (e instanceof ApiError && e.status === 401) $("token-label").hidden = false;
}

function showJob(job: Job) {
  $("job").hidden = false;
  $("job-id").textContent = job.id;
  $("job-status").textContent = job.status + (job.error ? `: ${job.error}` : "");
  $("job-status").className = `status ${job.status}`;
  $<HTMLButtonElement>("cancel").disabled = job.status !== "queued" && job.status !== "running";
}

function showResult(id: string, report: Report) {
  $("results").hidden = false;
  $<HTMLAnchorElement>("download-json").href = `/api/jobs/${id}/report.json`;
  $<HTMLAnchorElement>("download-html").href = `/api/jobs/${id}/report.html`;
  drawTable($("table"), report);
  drawCharts($("charts"), report);
  $<HTMLButtonElement>("run").disabled = false;
}

function follow(id: string) {
  events?.close();
  currentJob = id;
  events = new EventSource(`/api/jobs/${id}/events`);
  events.addEventListener("status", (e) => {
    const job = JSON.parse((e as MessageEvent).data) as Job;
    showJob(job);
    if (job.status !== "queued" && job.status !== "running" && job.status !== "done") {
      events?.close();
      $<HTMLButtonElement>("run").disabled = false;
    }
  });
  events.addEventListener("progress", (e) => {
    const p = JSON.parse((e as MessageEvent).data) as { task: string; done: number; total: number };
    $<HTMLProgressElement>("job-progress").value = p.total ? p.done / p.total : 1;
    $("job-task").textContent = `${p.task}: ${p.done}/${p.total}`;
  });
  events.addEventListener("result", (e) => {
    events?.close();
    $<HTMLProgressElement>("job-progress").value = 1;
    $("job-task").textContent = "finished";
    showResult(id, JSON.parse((e as MessageEvent).data));
  });
}

async function submit(ev: SubmitEvent) {
  ev.preventDefault();
  $("form-error").textContent = "";
  try {
    const lengths = $<HTMLInputElement>("lengths").value.split(",").map((s) => Number(s.trim()));
    const metrics = [...document.querySelectorAll<HTMLInputElement>("#metrics input:checked")].map((i) =>
      i.value
    );
    const body = {
      model: $<HTMLSelectElement>("model").value,
      text: $<HTMLSelectElement>("text").value,
      strategies: readStrategyRows($("strategies")),
      lengths,
      metrics,
      samples: Number($<HTMLInputElement>("samples").value),
      seed: Number($<HTMLInputElement>("seed").value),
    };
    const job = await postJson<Job>("/api/compare", body, $<HTMLInputElement>("token").value || undefined);
    $("results").hidden = true;
    $<HTMLButtonElement>("run").disabled = true;
    showJob(job);
    follow(job.id);
  } catch (e) {
    showError(e);
  }
}

async function init() {
  const [models, texts, options] = await Promise.all([
    getJson<CatalogEntry[]>("/api/models"),
    getJson<CatalogEntry[]>("/api/texts"),
    getJson<Options>("/api/options"),
  ]);
  strategies = await getJson<StrategyInfo[]>("/api/strategies");
  fillSelect($("model"), models);
  fillSelect($("text"), texts);
  $("metrics").replaceChildren(...options.metrics.map((m) => {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), {
      type: "checkbox",
      value: m,
      checked: m === "ppl",
    });
    label.append(box, ` ${m}`);
    return label;
  }));
  for (const name of ["default", "yarn"]) addStrategyRow($("strategies"), strategies, name);
  $("add-strategy").onclick = () => addStrategyRow($("strategies"), strategies, "pi");
  $<HTMLFormElement>("compare-form").onsubmit = submit;
  $("cancel").onclick = () => {
    if (currentJob) {
      deleteJson<Job>(`/api/jobs/${currentJob}`, $<HTMLInputElement>("token").value || undefined).then(
        showJob,
        showError,
      );
    }
  };
  document.body.dataset.ready = "true";
}

init().catch(showError);
