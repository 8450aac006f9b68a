/**
 * The client side: a {@linkcode DocumentScorer} that sends each call as a job to the workers holding
 * the model and resolves with their scores. Job ids are content hashes of the job, so a job sent
 * twice (a resumed search, a retry) is one job and its result counts once; a job that Redis lost
 * (restarted without persistence) is sent again.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { DocumentScorer } from "../search/evaluator.ts";
import type { RopeTable } from "../strategies/types.ts";
import { connect, probe, QueueError, redactUrl } from "./connection.ts";
import { heartbeatPattern, queueName } from "./names.ts";
import { queueSecret, sign, verify } from "./signing.ts";
import { docsKey, type ScoreJob, type ScoreResult, tableToWire, WIRE_VERSION } from "./wire.ts";

/** Options of {@linkcode QueueScorer.open}. */
export interface QueueScorerOptions {
  /** What to call the model in errors (its path). */
  modelLabel?: string;
  /** Check that at least one live worker holds the model (default true). */
  requireWorker?: boolean;
  /** How long to wait for a worker holding the model to appear (default 5000 ms). */
  workerWaitMs?: number;
  /** How often a pending job's state is checked besides the completion events (default 1000 ms). */
  pollMs?: number;
  /**
   * The queue's shared secret: jobs are signed with it, and a result not signed with it (a worker
   * without the secret, or one forged in Redis) fails its job instead of being used. Default: the
   * `ROPEKIT_QUEUE_SECRET` environment variable, when set (how `serve --queue` passes it on).
   */
  secret?: string;
}

/** Sends scoring jobs for one model to queue workers. */
export class QueueScorer {
  #pending = new Map<string, { resolve: (r: ScoreResult) => void; reject: (e: Error) => void }>();
  #timer: ReturnType<typeof setInterval>;
  #closed = false;
  /** Jobs sent and results received (a duplicate delivery resolves an id once). */
  sent = 0;
  received = 0;
  /** Over received results: seconds from send to result, and seconds workers spent on the model. */
  roundTripSeconds = 0;
  workerSeconds = 0;
  #sentAt = new Map<string, number>();

  private constructor(
    readonly url: string,
    readonly model: string,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly conns: Redis[],
    pollMs: number,
    private readonly secret?: string,
  ) {
    // The event may come without the return value: then the job itself is read.
    events.on("completed", ({ jobId, returnvalue }) => {
      if (returnvalue == null) void this.#check(jobId).catch(() => {});
      else this.#settle(jobId, returnvalue);
    });
    // A failed attempt may be retried: only the job's state says whether it failed for good.
    events.on("failed", ({ jobId }) => void this.#check(jobId).catch(() => {}));
    this.#timer = setInterval(() => this.#poll(), pollMs);
  }

  /** Connects (failing fast on a bad URL, password or a model no worker holds). */
  static async open(url: string, model: string, o: QueueScorerOptions = {}): Promise<QueueScorer> {
    await probe(url);
    const conns = [connect(url), connect(url)];
    if (o.requireWorker ?? true) {
      // A worker started a moment ago may still be loading its model: give it a few seconds.
      const until = Date.now() + (o.workerWaitMs ?? 5000);
      let live = await conns[0].keys(heartbeatPattern(model));
      while (live.length === 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        live = await conns[0].keys(heartbeatPattern(model));
      }
      if (live.length === 0) {
        conns.forEach((c) => c.disconnect());
        throw new QueueError(
          `no worker on ${redactUrl(url)} holds model ${model.slice(0, 16)}` +
            `${o.modelLabel ? ` (${o.modelLabel})` : ""}: start one with ` +
            `deno task worker --queue URL --model ${o.modelLabel ?? "M"}`,
        );
      }
    }
    const name = queueName(model);
    const queue = new Queue(name, { connection: conns[0] });
    const events = new QueueEvents(name, { connection: conns[1] });
    await events.waitUntilReady();
    return new QueueScorer(url, model, queue, events, conns, o.pollMs ?? 1000, o.secret ?? queueSecret());
  }

  /** Live workers holding the model now. */
  async workers(): Promise<number> {
    return (await this.conns[0].keys(heartbeatPattern(this.model))).length;
  }

  /** The scorer the fitness calls. */
  readonly score: DocumentScorer = async (tableFor, docs, signal?: AbortSignal) => {
    const first = await tableFor(docs[0].ids.length);
    const lengths = first.lengthDependent ? [...new Set(docs.map((d) => d.ids.length))] : [0];
    const tables = await Promise.all(
      lengths.map(async (seqLen) => ({
        seqLen,
        table: tableToWire(seqLen ? await tableFor(seqLen) : first),
      })),
    );
    // A search's documents are the same for every candidate: they go to Redis once, jobs name them.
    const text = JSON.stringify(docs);
    const docsRef = createHash("sha256").update(text).digest("hex");
    this.#docs.set(docsRef, text);
    const job: ScoreJob = { v: WIRE_VERSION, model: this.model, tables, docsRef };
    const result = await this.#run(job, signal);
    return result.scores.map((s) => s ?? NaN);
  };

  /**
   * Per-token NLL of each window under `table`, scored by a worker: the call `LanguageModel.nll`
   * makes, so evaluation code written against a model runs remotely unchanged (see `queueModel`).
   * An aborted `signal` stops the wait (the job is taken off the queue if no worker has it yet), so
   * a caller is never stuck on a job whose workers are all gone.
   */
  async nll(windows: number[][], table: RopeTable, signal?: AbortSignal): Promise<Float32Array[]> {
    const docs = windows.map((ids) => ({ ids }));
    const job: ScoreJob = {
      v: WIRE_VERSION,
      model: this.model,
      tables: [{ seqLen: 0, table: tableToWire(table) }],
      docs,
      perToken: true,
    };
    const r = await this.#run(job, signal);
    if (!r.nll || r.nll.length !== windows.length) {
      throw new QueueError("a worker answered without per-token NLL");
    }
    return r.nll.map((a) => Float32Array.from(a, (x) => x ?? NaN));
  }

  #run(unsigned: ScoreJob, signal?: AbortSignal): Promise<ScoreResult> {
    signal?.throwIfAborted();
    const job = this.secret === undefined
      ? unsigned
      : { ...unsigned, sig: sign(this.secret, "job", unsigned) };
    const id = createHash("sha256").update(JSON.stringify(job)).digest("hex").slice(0, 40);
    // The same job asked for twice while in flight is one job with one result.
    let done = this.#promises.get(id);
    if (!done) {
      done = new Promise<ScoreResult>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
      this.#promises.set(id, done);
      this.#sentAt.set(id, performance.now());
      done.finally(() => this.#promises.delete(id)).catch(() => {});
      this.sent++;
      this.#add(id, job).then(() => this.#check(id)).catch((e) => this.#fail(id, (e as Error).message));
    }
    if (!signal) return done;
    return new Promise<ScoreResult>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        this.#abandon(id);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      done.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /**
   * Stops waiting for job `id` (its caller was cancelled). A job no worker has taken yet is removed;
   * one a worker holds finishes there, and its result stays in Redis for a repeat of the same job.
   */
  #abandon(id: string): void {
    this.#fail(id, "cancelled");
    void (async () => {
      const job = await Job.fromId(this.queue, id);
      if (job && (await job.isWaiting() || await job.isDelayed())) await job.remove();
    })().catch(() => {});
  }

  #promises = new Map<string, Promise<ScoreResult>>();

  /** Documents by content hash, and which of them Redis holds (as far as this scorer knows). */
  #docs = new Map<string, string>();
  #stored = new Set<string>();

  async #add(id: string, job: ScoreJob): Promise<unknown> {
    this.#jobs.set(id, job);
    if (job.docsRef && !this.#stored.has(job.docsRef)) {
      await this.conns[0].set(docsKey(job.docsRef), this.#docs.get(job.docsRef)!, "EX", 86_400);
      this.#stored.add(job.docsRef);
    }
    // Job ids are content hashes and failures are kept a day: a job that failed before (its retries used
    // up by crashing workers, say) would otherwise count as a duplicate and fail again at once.
    const stale = await Job.fromId(this.queue, id);
    if (stale && await stale.isFailed()) await stale.remove();
    return await this.queue.add("score", job, {
      jobId: id,
      // Transient failures (a worker's crash) retry; permanent ones are thrown as UnrecoverableError.
      attempts: 5,
      backoff: { type: "fixed", delay: 500 },
      // Results stay a day so a search killed and resumed picks up what arrived meanwhile.
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 86_400 },
    });
  }

  #jobs = new Map<string, ScoreJob>();

  /** Looks at a job: finished → settle; gone (Redis restarted) → send again. */
  async #check(id: string): Promise<void> {
    // The state first, then the job: a job read before it finished would lack its result or reason.
    const state = await this.queue.getJobState(id);
    if (!this.#pending.has(id)) return;
    if (state === "unknown") {
      this.#stored.clear(); // Redis lost the job (restarted): it lost the documents too
      const data = this.#jobs.get(id);
      if (data) await this.#add(id, data);
      return;
    }
    if (state !== "completed" && state !== "failed") return;
    const job = await Job.fromId(this.queue, id);
    if (!job) return; // removed meanwhile: the next check sends it again
    if (state === "completed" && job.returnvalue != null) this.#settle(id, job.returnvalue);
    else if (state === "failed") this.#fail(id, job.failedReason);
  }

  #polling = false;
  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    try {
      for (const id of [...this.#pending.keys()]) await this.#check(id);
    } catch {
      // Redis is away; the next poll tries again (ioredis reconnects).
    } finally {
      this.#polling = false;
    }
  }

  #settle(id: string, value: unknown): void {
    const p = this.#pending.get(id);
    if (!p) return; // not ours, or already counted
    this.#pending.delete(id);
    this.#jobs.delete(id);
    const { sig, ...r } = (typeof value === "string" ? JSON.parse(value) : value) as ScoreResult & {
      sig?: unknown;
    };
    if (this.secret !== undefined && !verify(this.secret, `result:${id}`, r, sig)) {
      // Back into #pending only to fail it through the one path that reports failures.
      this.#pending.set(id, p);
      this.#fail(
        id,
        `its result is not signed with the queue secret, rejected (from worker ${
          JSON.stringify(String(r.worker).slice(0, 64))
        }: ` +
          `a worker without --secret, or a result written into Redis by someone else)`,
      );
      return;
    }
    this.received++;
    this.roundTripSeconds += (performance.now() - (this.#sentAt.get(id) ?? performance.now())) / 1000;
    this.workerSeconds += r.seconds;
    this.#sentAt.delete(id);
    p.resolve(r);
  }

  #fail(id: string, reason: string): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    this.#jobs.delete(id);
    p.reject(new QueueError(`queue job ${id.slice(0, 12)} failed: ${reason}`));
  }

  /** Stops waiting and closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.events.close().catch(() => {});
    await this.queue.close().catch(() => {});
    for (const c of this.conns) c.disconnect();
  }
}
