/**
 * One job scored on one model: the job is checked (shape and limits, `parseJob`), then ropekit's own
 * scorer runs on it. Failures are sorted by class: a {@linkcode RopekitError} (a bad table, token ids
 * outside the vocabulary, a malformed job) is the job's own fault and can never go away, so it becomes
 * BullMQ's UnrecoverableError and the job fails once with its reason; anything else is a bug or a
 * passing fault, which BullMQ retries and the worker reports with its stack.
 *
 * @module
 */
import { UnrecoverableError } from "bullmq";
import type { Model } from "../model/model.ts";
import { localScorer } from "../search/evaluator.ts";
import { RopekitError } from "../util/errors.ts";
import { parseJob, type ScoreResult, WIRE_VERSION } from "./wire.ts";

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

async function keepNll(model: Model, into: Float32Array[], args: Parameters<Model["nll"]>) {
  const r = await model.nll(...args);
  into.push(...r.nll);
  return r;
}

/**
 * `err` as the worker must treat it: a {@linkcode RopekitError} (the job's fault) becomes an
 * UnrecoverableError, failed once; anything else is returned as it is, to be retried.
 */
export function asPermanent(err: unknown): unknown {
  return err instanceof RopekitError ? new UnrecoverableError(`bad job: ${err.message}`) : err;
}

function permanentIfOurs<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw asPermanent(e);
  }
}

/** Scores one job's documents on `model`; permanent problems become UnrecoverableError. */
export async function runJob(
  model: Model,
  hash: string,
  data: unknown,
): Promise<Omit<ScoreResult, "worker">> {
  const { job, tables } = permanentIfOurs(() => parseJob(data));
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
    throw asPermanent(e);
  }
  return {
    v: WIRE_VERSION,
    scores: scores.map(finiteOrNull),
    ...(job.perToken ? { nll: perToken.map((a) => Array.from(a, finiteOrNull)) } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}
