/**
 * The comparison queue: one job at a time on the device (a comparison saturates it; two would only
 * both go slower and double the memory), a bounded wait list, cancellation, and listeners for SSE.
 * Every state change is written to the {@linkcode JobStore} before it is announced.
 *
 * @module
 */
import type { ProgressEvent } from "../util/progress.ts";
import type { CompareJobSpec } from "./compare_job.ts";
import { FINAL_STATUSES, type JobRecord, type JobStore } from "./job_store.ts";
import { CancelledError, type JobRunner } from "./worker_runner.ts";
import { BusyError } from "./busy_error.ts";

/** Refused because the wait list is full; `retryAfter` in seconds. */
export class QueueFullError extends BusyError {
  override name = "QueueFullError";
  constructor(retryAfter: number) {
    super(`the job queue is full; retry in about ${retryAfter} s`, retryAfter);
  }
}

/** What listeners of one job hear. */
export type JobEvent =
  | { type: "status"; job: JobRecord }
  | { type: "progress"; progress: ProgressEvent };

/**
 * How often a job may be started again after the server stopped while running it. A job that takes
 * the process down (a native kernel's fault, memory) would otherwise crash every restart forever.
 */
export const MAX_RESTARTS = 2;
/** Assumed duration of a job before any has finished (for Retry-After). */
const FIRST_GUESS_SECONDS = 30;

/** The queue of one device. */
export class JobQueue {
  #jobs = new Map<string, JobRecord>();
  #waiting: string[] = [];
  #running?: { id: string; controller: AbortController; done: Promise<void> };
  #listeners = new Map<string, Set<(e: JobEvent) => void>>();
  #recentSeconds: number[] = [];
  #admitting = 0;
  #stopped = false;
  /** The last `created` given out: kept strictly increasing, so a restart re-queues a burst in order. */
  #lastCreated = 0;

  private constructor(
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    readonly maxWaiting: number,
  ) {}

  /**
   * Loads the store and resumes what a stop or crash left unfinished, keeping ids: jobs that were
   * running start again first (with `restarts` counted, failed beyond {@linkcode MAX_RESTARTS}),
   * then the queued ones in their order. A comparison is deterministic for its request and seed, so
   * a restarted job ends with the report it would have had.
   */
  static async open(store: JobStore, runner: JobRunner, maxWaiting: number): Promise<JobQueue> {
    const q = new JobQueue(store, runner, maxWaiting);
    const restarted: string[] = [], queued: string[] = [];
    for (const job of await store.loadAll()) {
      q.#jobs.set(job.id, job);
      q.#lastCreated = Math.max(q.#lastCreated, Date.parse(job.created) || 0);
      if (job.status === "queued") queued.push(job.id);
      if (job.status !== "running") continue;
      const restarts = (job.restarts ?? 0) + 1;
      if (restarts > MAX_RESTARTS) {
        Object.assign(job, {
          status: "failed",
          error: `the server stopped ${restarts} times while running this job, which may be what stops it; ` +
            `not restarting it again`,
          finished: new Date().toISOString(),
        });
      } else {
        Object.assign(job, { status: "queued", restarts });
        delete job.progress;
        restarted.push(job.id);
      }
      await store.save(job);
    }
    q.#waiting = [...restarted, ...queued];
    q.#pump();
    return q;
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id);
  }

  /** All jobs, newest first. */
  list(): JobRecord[] {
    return [...this.#jobs.values()].reverse();
  }

  /** Jobs waiting (not counting the one running). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues a job (persisted before this resolves); throws QueueFullError when the wait list is full. */
  async submit(request: CompareJobSpec): Promise<JobRecord> {
    // Jobs still being written count too, so a burst cannot slip past the bound while saves are pending.
    const unfinished = this.#waiting.length + this.#admitting + (this.#running ? 1 : 0);
    if (unfinished >= this.maxWaiting + 1) throw new QueueFullError(this.#retryAfter());
    const job: JobRecord = {
      id: crypto.randomUUID(),
      status: "queued",
      request,
      created: new Date(this.#lastCreated = Math.max(Date.now(), this.#lastCreated + 1)).toISOString(),
    };
    this.#admitting++;
    try {
      await this.store.save(job); // on disk before it is acknowledged: a crash cannot lose it silently
    } finally {
      this.#admitting--;
    }
    this.#jobs.set(job.id, job);
    this.#waiting.push(job.id);
    this.#pump();
    return job;
  }

  /** Cancels a queued job at once, a running one at its next checkpoint; finished jobs are left alone. */
  async cancel(id: string): Promise<JobRecord | undefined> {
    const job = this.#jobs.get(id);
    if (!job) return undefined;
    if (job.status === "queued") {
      this.#waiting = this.#waiting.filter((w) => w !== id);
      await this.#finish(job, "cancelled", "cancelled before it started");
    } else if (job.status === "running" && this.#running?.id === id) {
      this.#running.controller.abort();
    }
    return job;
  }

  /**
   * Forgets an ended job (its files already removed by the caller), so no route shows it any more;
   * false when it is queued or running, or unknown.
   */
  forget(id: string): boolean {
    const job = this.#jobs.get(id);
    if (!job || !FINAL_STATUSES.includes(job.status)) return false;
    return this.#jobs.delete(id);
  }

  /** Listens to one job's events until the returned function is called. */
  subscribe(id: string, listener: (e: JobEvent) => void): () => void {
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  /** Resolves once nothing is running or waiting (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running.done;
  }

  /**
   * An orderly stop (SIGINT, SIGTERM): the running job goes back on disk as queued, so the next start
   * runs it again without counting a restart (`restarts` counts only stops nobody asked for, which
   * may be the job's own doing). Nothing is started or recorded after this; queued jobs stay queued.
   * Resolves to the id of the job put back, if one was running.
   */
  async stop(): Promise<string | undefined> {
    this.#stopped = true;
    this.#waiting = [];
    const job = this.#running && this.#jobs.get(this.#running.id);
    if (job?.status !== "running") return undefined;
    job.status = "queued";
    delete job.progress;
    delete job.started;
    await this.store.save(job);
    return job.id;
  }

  #emit(id: string, event: JobEvent) {
    for (const listener of this.#listeners.get(id) ?? []) listener(event);
  }

  async #finish(job: JobRecord, status: JobRecord["status"], error?: string) {
    if (this.#stopped) return; // the job stays as stop() left it
    Object.assign(job, { status, finished: new Date().toISOString(), ...(error ? { error } : {}) });
    await this.store.save(job);
    this.#emit(job.id, { type: "status", job });
  }

  #retryAfter(): number {
    const recent = this.#recentSeconds;
    const each = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : FIRST_GUESS_SECONDS;
    return Math.max(1, Math.ceil(each));
  }

  #pump() {
    if (this.#running || this.#stopped) return;
    const id = this.#waiting.shift();
    if (id === undefined) return;
    const controller = new AbortController();
    const done = this.#run(this.#jobs.get(id)!, controller.signal).finally(() => {
      this.#running = undefined;
      this.#pump();
    });
    this.#running = { id, controller, done };
  }

  async #run(job: JobRecord, signal: AbortSignal): Promise<void> {
    const t0 = performance.now();
    job.status = "running";
    job.started = new Date().toISOString();
    try {
      await this.store.save(job);
      this.#emit(job.id, { type: "status", job });
      const report = await this.runner.run(job.request, (progress) => {
        job.progress = { task: progress.task, done: progress.done, total: progress.total };
        this.#emit(job.id, { type: "progress", progress });
      }, signal);
      if (this.#stopped) return;
      await this.store.saveReport(job.id, report);
      this.#recentSeconds = [...this.#recentSeconds, (performance.now() - t0) / 1000].slice(-5);
      await this.#finish(job, "done");
    } catch (e) {
      const cancelled = e instanceof CancelledError || signal.aborted;
      await this.#finish(
        job,
        cancelled ? "cancelled" : "failed",
        cancelled ? "cancelled while running" : (e as Error).message,
      )
        .catch((err) => console.error(`error: cannot record the end of job ${job.id}: ${err.message}`));
    }
  }
}
