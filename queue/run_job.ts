/**
 * One job scored on one model: the job is checked (shape and limits, `parseJob`), then ropekit's own
 * scorer runs on it. Problems that can never go away become BullMQ's UnrecoverableError, so the job
 * fails once with its reason instead of being retried.
 *
 * @module
 */
import { UnrecoverableError } from "bullmq";
import type { Model } from "../model/model.ts";
import { localScorer } from "../search/evaluator.ts";
import { RopeTableError } from "../strategies/table.ts";
import { parseJob, type ScoreResult, WIRE_VERSION, WireError } from "./wire.ts";

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
