/**
 * Runs jobs in the compare worker (see compare_worker.ts for why a worker). One worker, reused so
 * its model cache pays off; a worker that crashes is replaced on the next job.
 *
 * @module
 */
import type { CompareReport } from "../compare/compare.ts";
import type { StrategyRegistry } from "../strategies/registry.ts";
import type { PluginStrategy } from "../plugins/load_plugin.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { CompareJobSpec } from "./compare_job.ts";
import type { HostMessage, WorkerMessage } from "./worker_protocol.ts";
import { RopekitError } from "../util/errors.ts";

/** Thrown by a runner when the job stopped because its signal was aborted. */
export class CancelledError extends RopekitError {
  override name = "CancelledError";
}

/** Runs one comparison; the queue never calls it twice at once. */
export interface JobRunner {
  run(spec: CompareJobSpec, onProgress: ProgressSink, signal: AbortSignal): Promise<CompareReport>;
  close(): void;
}

/**
 * The real runner. `registry` answers the worker's table requests for plugin strategies; `loadPlugin`
 * loads a plugin it does not hold yet (a job resumed after a restart names its URL).
 */
export class WorkerRunner implements JobRunner {
  #worker?: Worker;
  constructor(
    private readonly registry: StrategyRegistry,
    private readonly queueUrl?: string,
    private readonly loadPlugin?: (specifier: string) => Promise<unknown>,
    /** The worker's entry module: compare_worker.ts, or a test's module that wraps it. */
    private readonly entry: URL = new URL("./compare_worker.ts", import.meta.url),
  ) {}

  async #strategy(name: string, plugin?: string) {
    if (!this.registry.has(name) && plugin !== undefined && this.loadPlugin) await this.loadPlugin(plugin);
    return this.registry.get(name);
  }

  run(spec: CompareJobSpec, onProgress: ProgressSink, signal: AbortSignal): Promise<CompareReport> {
    const worker = this.#worker ??= new Worker(this.entry, {
      type: "module",
    });
    const cancelFlag = new SharedArrayBuffer(4);
    const requestCancel = () => Atomics.store(new Int32Array(cancelFlag), 0, 1);
    if (signal.aborted) requestCancel();
    signal.addEventListener("abort", requestCancel);
    const send = (m: HostMessage) => worker.postMessage(m);
    return new Promise<CompareReport>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.type === "progress") onProgress(m.event);
        else if (m.type === "done") resolve(m.report);
        else if (m.type === "failed") reject(m.cancelled ? new CancelledError(m.error) : new Error(m.error));
        else if (m.type === "table") {
          // A plugin's table takes the job's signal: cancelling the job stops a call in its sandbox.
          this.#strategy(m.name, m.plugin).then((s) =>
            (s.table as PluginStrategy["table"])(m.spec, m.ctx, m.params, signal)
          ).then(
            (table) => send({ type: "table-reply", id: m.id, table }),
            (err) => send({ type: "table-reply", id: m.id, error: (err as Error).message }),
          );
        }
      };
      worker.onerror = (e) => {
        e.preventDefault(); // keep the server alive; the job fails and a new worker takes the next one
        worker.terminate();
        this.#worker = undefined;
        reject(new Error(`the compare worker crashed: ${e.message}`));
      };
      send({ type: "run", spec, cancelFlag, queueUrl: this.queueUrl });
    }).finally(() => signal.removeEventListener("abort", requestCancel));
  }

  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}
