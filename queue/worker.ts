/**
 * The worker side: takes scoring jobs for the models it holds and runs ropekit's own scorer on them.
 * Models are loaded once, in a thread of their own (model_thread.ts: a forward pass there cannot
 * starve the lock renewal that runs here), and keyed by content hash; each has its own queue, and a
 * job whose hash is not the model's is refused for good (never scored on other weights). A job that
 * can never succeed (bad table, bad documents, beyond the limits, not signed with the queue's secret)
 * fails once with its reason; anything else is retried by BullMQ, and a worker that dies mid-job
 * leaves a stalled job that another worker takes over.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { connect, probe, QueueError } from "./connection.ts";
import type { ModelToLoad, ThreadReply, ThreadRequest } from "./model_thread_protocol.ts";
import { HEARTBEAT_EVERY_MS, HEARTBEAT_MS, heartbeatKey, queueName } from "./names.ts";
import { sign, verify } from "./signing.ts";
import { docsKey, type ScoreResult } from "./wire.ts";

export { runJob } from "./run_job.ts";
export type { ModelToLoad } from "./model_thread_protocol.ts";

/** Options of {@linkcode startWorker}. */
export interface WorkerOptions {
  url: string;
  /** Models to load (in the model thread); each is advertised under its content hash. */
  models: ModelToLoad[];
  /** Name in heartbeats and results (default host:pid). */
  id?: string;
  /**
   * Seconds a job's lock lasts without renewal: a killed worker's job is taken over after about
   * this long (default 30). Renewal runs while a forward pass does, so passes may take longer.
   */
  lockSeconds?: number;
  /** The queue's shared secret: jobs must be signed with it, and results are (see signing.ts). */
  secret?: string;
  /** Called when a job starts (for a log line). */
  onStart?: (e: { hash: string; jobId: string }) => void;
  /**
   * Called after each job (for a log line). `error` is the failure's one-line reason; `stack` comes
   * with it only when the failure is not the job's fault (not a RopekitError: a bug, or a passing
   * fault that BullMQ retries), so the log shows where it happened.
   */
  onJob?: (e: { hash: string; jobId: string; seconds: number; error?: string; stack?: string }) => void;
}

/** A running worker. */
export interface RunningWorker {
  id: string;
  /** The models it holds: content hash and where they were loaded from. */
  models: { hash: string; source: string }[];
  close(): Promise<void>;
}

/** The model thread, seen from the main thread: jobs in, results out. */
class ModelThread {
  // The global Worker (a thread), not BullMQ's.
  #thread = new globalThis.Worker(new URL("./model_thread.ts", import.meta.url), { type: "module" });
  #pending = new Map<
    number,
    { resolve: (r: Omit<ScoreResult, "worker">) => void; reject: (e: Error) => void }
  >();
  #next = 0;
  #dead?: string;
  #loaded?: { resolve: (m: { hash: string; source: string }[]) => void; reject: (e: Error) => void };

  constructor() {
    this.#thread.onmessage = (e: MessageEvent<ThreadReply>) => {
      const m = e.data;
      if (m.type === "loaded") this.#loaded?.resolve(m.models);
      else if (m.type === "load-failed") this.#loaded?.reject(new QueueError(m.error));
      else {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.type === "done") p?.resolve(m.result);
        else if (m.permanent) p?.reject(new UnrecoverableError(m.error));
        else p?.reject(Object.assign(new Error(m.error), m.stack ? { stack: m.stack } : {}));
      }
    };
    this.#thread.onerror = (e) => {
      e.preventDefault();
      this.#dead = e.message;
      const err = new Error(`the model thread stopped: ${e.message}`);
      this.#loaded?.reject(err);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
  }

  load(models: ModelToLoad[]): Promise<{ hash: string; source: string }[]> {
    return new Promise((resolve, reject) => {
      this.#loaded = { resolve, reject };
      this.#send({ type: "load", models });
    });
  }

  run(hash: string, data: unknown): Promise<Omit<ScoreResult, "worker">> {
    // A job the thread can no longer take is retried by BullMQ (on another worker, if this one is broken).
    if (this.#dead) return Promise.reject(new Error(`the model thread stopped: ${this.#dead}`));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send({ type: "job", id, hash, data });
    });
  }

  #send(m: ThreadRequest) {
    this.#thread.postMessage(m);
  }

  close() {
    this.#thread.terminate();
  }
}

/** Documents fetched by reference, kept for the next jobs of the same search (a few searches' worth). */
const docsCache = new Map<string, unknown>();

/** The job with its referenced documents filled in from Redis. */
async function withDocs(redis: Redis, data: { docsRef?: unknown; docs?: unknown }): Promise<unknown> {
  if (typeof data?.docsRef !== "string") return data;
  let docs = docsCache.get(data.docsRef);
  if (docs === undefined) {
    const text = await redis.get(docsKey(data.docsRef));
    // Missing documents are a Redis restart the client has not noticed yet: retry, do not fail for good.
    if (text === null) throw new Error(`documents ${data.docsRef.slice(0, 12)} are not in Redis (yet)`);
    // The reference is the documents' content hash: documents replaced in Redis are not the job's.
    if (createHash("sha256").update(text).digest("hex") !== data.docsRef) {
      throw new UnrecoverableError(`bad job: documents ${data.docsRef.slice(0, 12)} do not match their hash`);
    }
    docs = JSON.parse(text);
    if (docsCache.size >= 8) docsCache.delete(docsCache.keys().next().value!);
    docsCache.set(data.docsRef, docs);
  }
  return { ...data, docs };
}

/** Refuses a job not signed with `secret` (a client without the secret, or a job written into Redis). */
function checkSignature(secret: string | undefined, data: unknown): unknown {
  if (secret === undefined) return data;
  const { sig, ...job } = (data ?? {}) as { sig?: unknown };
  if (!verify(secret, "job", job, sig)) {
    throw new UnrecoverableError(
      "job is not signed with this worker's queue secret (the client needs the same --secret)",
    );
  }
  return job;
}

/** Starts taking jobs for every model; resolves once the models are loaded and the worker is connected. */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  await probe(o.url);
  const id = o.id ?? `${Deno.hostname()}:${Deno.pid}`;
  const lockDuration = (o.lockSeconds ?? 30) * 1000;
  const thread = new ModelThread();
  let models: { hash: string; source: string }[];
  try {
    models = await thread.load(o.models);
  } catch (e) {
    thread.close();
    throw e;
  }
  const conns: Redis[] = [];
  const workers = models.map(({ hash }) => {
    const c = connect(o.url);
    conns.push(c);
    return new Worker(
      queueName(hash),
      async (job) => {
        const t0 = performance.now();
        const jobId = job.id ?? "";
        o.onStart?.({ hash, jobId });
        try {
          const data = checkSignature(o.secret, job.data);
          const r = { ...await thread.run(hash, await withDocs(c, data as object)), worker: id };
          o.onJob?.({ hash, jobId, seconds: (performance.now() - t0) / 1000 });
          return o.secret === undefined ? r : { ...r, sig: sign(o.secret, `result:${jobId}`, r) };
        } catch (e) {
          const seconds = (performance.now() - t0) / 1000;
          const bug = !(e instanceof UnrecoverableError) && e instanceof Error ? { stack: e.stack } : {};
          o.onJob?.({ hash, jobId, seconds, error: String(e), ...bug });
          throw e;
        }
      },
      {
        connection: c,
        concurrency: 1,
        lockDuration,
        stalledInterval: Math.max(1000, lockDuration / 2),
        // A killed worker's job comes back; after this many stalls it fails (a job that kills workers).
        maxStalledCount: 5,
      },
    );
  });
  for (const w of workers) w.on("error", () => {}); // connection errors: BullMQ reconnects
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const beat = async () => {
    for (const { hash } of models) {
      await conns[0].set(heartbeatKey(hash, id), JSON.stringify({ id, at: Date.now() }), "PX", HEARTBEAT_MS);
    }
  };
  await beat();
  const timer = setInterval(() => void beat().catch(() => {}), HEARTBEAT_EVERY_MS);
  return {
    id,
    models,
    async close() {
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close()));
      for (const { hash } of models) await conns[0].del(heartbeatKey(hash, id)).catch(() => {});
      for (const c of conns) c.disconnect();
      thread.close();
    },
  };
}
