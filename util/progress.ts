/**
 * Progress of long work: a tiny event type that the CLI draws as a bar on stderr and the server
 * streams as server-sent events.
 *
 * @module
 */

/** One progress update. */
export interface ProgressEvent {
  /** What is being done, e.g. "ppl yarn @2048". */
  task: string;
  /** Units finished so far (windows, documents, generations), 0 ≤ done ≤ total. */
  done: number;
  /** Units in the task; the bar is done/total full. */
  total: number;
  /** Optional partial result to stream. */
  detail?: unknown;
}

/** Receives progress updates. */
export type ProgressSink = (event: ProgressEvent) => void;

/**
 * A sink that draws one updating line on stderr when it is a terminal (and plain lines every 10%
 * otherwise), with elapsed time and an ETA.
 */
export function stderrProgress(): ProgressSink {
  const enc = new TextEncoder();
  const tty = Deno.stderr.isTerminal();
  const started = new Map<string, number>();
  const lastDecile = new Map<string, number>();
  return ({ task, done, total }) => {
    const now = performance.now();
    if (!started.has(task)) started.set(task, now);
    const elapsed = (now - started.get(task)!) / 1000;
    const frac = total > 0 ? done / total : 1;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const width = 24;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "·");
    const line = `${task.padEnd(28)} ${bar} ${done}/${total}  ${elapsed.toFixed(1)}s` +
      (done < total && Number.isFinite(eta) ? `  eta ${eta.toFixed(0)}s` : "");
    if (tty) {
      Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}${done >= total ? "\n" : ""}`));
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile.get(task) || done >= total) {
        lastDecile.set(task, decile);
        Deno.stderr.writeSync(enc.encode(line + "\n"));
      }
    }
  };
}
