/**
 * The worker side: takes scoring jobs for the models it holds and runs ropekit's own scorer on them.
 * Models are loaded once and keyed by content hash; each has its own queue, and a job whose hash is
 * not the model's is refused for good (never scored on other weights). A job that can never succeed
 * (bad table, bad documents) fails once with its reason; anything else is retried by BullMQ, and a
 * worker that dies mid-job leaves a stalled job that another worker takes over.
 *
 * @module
 */
import { UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Model } from "../model/model.ts";
import { localScorer } from "../search/evaluator.ts";
import { RopeTableError } from "../strategies/table.ts";
import { connect, probe } from "./connection.ts";
import { HEARTBEAT_EVERY_MS, HEARTBEAT_MS, heartbeatKey, queueName } from "./names.ts";
import { docsKey, parseJob, type ScoreResult, WIRE_VERSION, WireError } from "./wire.ts";

/** Options of {@linkcode startWorker}. */
export interface WorkerOptions {
  url: string;
  /** Models with their content hashes. */
  models: { model: Model; hash: string }[];
  /** Name in heartbeats and results (default host:pid). */
  id?: string;
  /**
   * Seconds a job's lock lasts without renewal: a killed worker's job is taken over after about
   * this long (default 30). Keep it well above one document's forward pass.
   */
  lockSeconds?: number;
  /** Called when a job starts (for a log line). */
  onStart?: (e: { hash: string; jobId: string }) => void;
  /** Called after each job (for a log line). */
  onJob?: (e: { hash: string; jobId: string; seconds: number; error?: string }) => void;
}

/** A running worker. */
export interface RunningWorker {
  id: string;
  close(): Promise<void>;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

async function keepNll(model: Model, into: Float32Array[], args: Parameters<Model["nll"]>) {
  const r = await model.nll(...args);
  into.push(...r.nll);
  return r;
}

/** Scores one job's documents on `model`; permanent problems become UnrecoverableError. */
export async function runJob(
  model: Model,
  hash: string,
  data: unknown,
): Promise<Omit<ScoreResult, "worker">> {
  let parsed;
  try {
    parsed = parseJob(data);
  } catch (e) {
    throw new UnrecoverableError(`bad job: ${(e as Error).message}`);
  }
  const { job, tables } = parsed;
  if (job.model !== hash) {
    throw new UnrecoverableError(
      `this worker holds model ${hash.slice(0, 16)}, not ${job.model.slice(0, 16)}`,
    );
  }
  const t0 = performance.now();
  let scores: number[];
  const perToken: Float32Array[] = [];
  // Every document's NLL, kept when the job asks for them.
  const keep = job.perToken
    ? { nll: (...a: Parameters<Model["nll"]>) => keepNll(model, perToken, a) }
    : model;
  try {
    // deno-lint-ignore require-await
    scores = await localScorer(keep)(async (seqLen) => tables.get(seqLen) ?? tables.get(0)!, job.docs);
  } catch (e) {
    // A table the model rejects, or token ids outside its vocabulary, will never succeed.
    if (e instanceof RopeTableError || e instanceof RangeError || e instanceof WireError) {
      throw new UnrecoverableError(`bad job: ${(e as Error).message}`);
    }
    throw e;
  }
  return {
    v: WIRE_VERSION,
    scores: scores.map(finiteOrNull),
    ...(job.perToken ? { nll: perToken.map((a) => Array.from(a, finiteOrNull)) } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
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
    docs = JSON.parse(text);
    if (docsCache.size >= 8) docsCache.delete(docsCache.keys().next().value!);
    docsCache.set(data.docsRef, docs);
  }
  return { ...data, docs };
}

/** Starts taking jobs for every model; resolves once connected. */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  await probe(o.url);
  const id = o.id ?? `${Deno.hostname()}:${Deno.pid}`;
  const lockDuration = (o.lockSeconds ?? 30) * 1000;
  const conns: Redis[] = [];
  const workers = o.models.map(({ model, hash }) => {
    const c = connect(o.url);
    conns.push(c);
    return new Worker(
      queueName(hash),
      async (job) => {
        const t0 = performance.now();
        o.onStart?.({ hash, jobId: job.id ?? "" });
        try {
          const r = await runJob(model, hash, await withDocs(c, job.data));
          o.onJob?.({ hash, jobId: job.id ?? "", seconds: (performance.now() - t0) / 1000 });
          return { ...r, worker: id };
        } catch (e) {
          o.onJob?.({
            hash,
            jobId: job.id ?? "",
            seconds: (performance.now() - t0) / 1000,
            error: String(e),
          });
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
    for (const { hash } of o.models) {
      await conns[0].set(heartbeatKey(hash, id), JSON.stringify({ id, at: Date.now() }), "PX", HEARTBEAT_MS);
    }
  };
  await beat();
  const timer = setInterval(() => void beat().catch(() => {}), HEARTBEAT_EVERY_MS);
  return {
    id,
    async close() {
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close()));
      for (const { hash } of o.models) await conns[0].del(heartbeatKey(hash, id)).catch(() => {});
      for (const c of conns) c.disconnect();
    },
  };
}
