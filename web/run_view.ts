/// <reference lib="dom" />
/**
 * One comparison: its status and progress over server-sent events (an EventSource reconnects by
 * itself after a server restart, and the server resumes the job), then its table, charts and report
 * files. @module
 */
import { deleteJson, getJson, type Job, type Report } from "./api.ts";
import { drawCharts } from "./charts.ts";
import { $, showError } from "./dom.ts";
import { drawTable } from "./results_table.ts";

let events: EventSource | undefined;
let shown: string | undefined;

function showJob(job: Job) {
  $("job-id").textContent = job.id;
  $("job-status").textContent = job.status + (job.error ? `: ${job.error}` : "");
  $("job-status").className = `status ${job.status}`;
  $<HTMLButtonElement>("cancel").disabled = job.status !== "queued" && job.status !== "running";
}

function showResult(id: string, report: Report) {
  $("results").hidden = false;
  $<HTMLProgressElement>("job-progress").value = 1;
  $("job-task").textContent = "finished";
  $<HTMLAnchorElement>("download-json").href = `/api/jobs/${id}/report.json`;
  $<HTMLAnchorElement>("download-html").href = `/api/jobs/${id}/report.html`;
  drawTable($("table"), report);
  drawCharts($("charts"), report);
}

/** Stops following a job (another view is shown). */
export function leaveRun(): void {
  events?.close();
  events = undefined;
  shown = undefined;
}

/** Shows job `id`: a finished one at once, a running one as it goes. */
export async function openRun(id: string): Promise<void> {
  if (shown === id) return;
  leaveRun();
  shown = id;
  $("results").hidden = true;
  $("job-task").textContent = "";
  $<HTMLProgressElement>("job-progress").value = 0;
  $("cancel").onclick = () =>
    deleteJson<Job>(`/api/jobs/${id}`).then(showJob, (e) => showError("run-error", e));
  let job: Job & { report?: Report };
  try {
    job = await getJson(`/api/jobs/${id}`);
  } catch (e) {
    $("job-id").textContent = id;
    $("job-status").textContent = e instanceof Error ? e.message : String(e);
    return;
  }
  showJob(job);
  if (job.report) return showResult(id, job.report);
  if (job.status !== "queued" && job.status !== "running") return;
  events = new EventSource(`/api/jobs/${id}/events`);
  events.addEventListener("status", (e) => {
    const j = JSON.parse((e as MessageEvent).data) as Job;
    showJob(j);
    // An ended job without a report gets no "result": stop, or the EventSource would reconnect forever.
    if (!["queued", "running", "done"].includes(j.status)) events?.close();
  });
  events.addEventListener("progress", (e) => {
    const p = JSON.parse((e as MessageEvent).data) as { task: string; done: number; total: number };
    $<HTMLProgressElement>("job-progress").value = p.total ? p.done / p.total : 1;
    $("job-task").textContent = `${p.task}: ${p.done}/${p.total}`;
  });
  events.addEventListener("result", (e) => {
    events?.close();
    showResult(id, JSON.parse((e as MessageEvent).data));
  });
  // The server could not read the finished job's report: say so (with the id its log repeats) and stop,
  // or the EventSource would reconnect and meet the same fault every second.
  events.addEventListener("fault", (e) => {
    events?.close();
    const f = JSON.parse((e as MessageEvent).data) as { error: string };
    showError("run-error", new Error(`the report could not be read: ${f.error}`));
  });
}
