/** Search progress on stderr: generation, best fitness so far, evaluations/s and ETA. @module */
import type { ProgressEvent, ProgressSink } from "../util/progress.ts";
import type { SearchProgress } from "./evolution.ts";

/** 95 → "1m35s", 4000 → "1h06m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One line describing a search progress event (the loop's, or a plain one such as finalist re-scoring). */
export function searchProgressLine(e: ProgressEvent): string {
  const d = e.detail as SearchProgress | undefined;
  if (!d) return `${e.task}: ${e.done}/${e.total}`;
  return `${e.task}: gen ${d.generation}/${d.generations}  evals ${d.evaluated}/${d.planned}` +
    (d.replayed ? ` (${d.replayed} from journal)` : "") +
    `  best ${Number.isFinite(d.best) ? d.best.toPrecision(6) : "–"}` +
    `  ${d.evalsPerSecond.toFixed(2)} eval/s  elapsed ${formatDuration(d.elapsedSeconds)}` +
    `  eta ${formatDuration(d.etaSeconds)}`;
}

/** Draws search progress on stderr: an updating line on a terminal, one line per generation otherwise. */
export function stderrSearchProgress(): ProgressSink {
  const enc = new TextEncoder();
  const tty = Deno.stderr.isTerminal();
  return (e) => {
    const d = e.detail as SearchProgress | undefined;
    const closes = d ? d.generationDone : e.done === e.total;
    if (tty) {
      Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${searchProgressLine(e)}${closes ? "\n" : ""}`));
    } else if (closes) Deno.stderr.writeSync(enc.encode(searchProgressLine(e) + "\n"));
  };
}
