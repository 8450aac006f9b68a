/**
 * `compare` on queue workers: each strategy runs as its own comparison, side by side, on a model
 * whose forward passes go to the workers (`queueModel`). The parts every strategy shares (baselines,
 * the needle validity check, the original RoPE's short-context perplexity) are identical jobs, so the
 * workers score them once. The merged report equals the in-process one but for wall times.
 *
 * @module
 */
import {
  checkReference,
  compare,
  type CompareOptions,
  type CompareReport,
  statisticsOptions,
} from "../compare/compare.ts";
import { pairedComparisons } from "../compare/statistics.ts";
import { queueModel } from "./queue_model.ts";
import type { QueueScorer } from "./queue_scorer.ts";

/** Runs `opts` with the model's scoring on `scorer`'s workers. */
export async function compareOnQueue(opts: CompareOptions, scorer: QueueScorer): Promise<CompareReport> {
  checkReference(opts.reference, opts.strategies);
  const total = opts.strategies.length;
  let done = 0;
  // One part failing stops the others at their next check, and nothing returns before every part has
  // ended: no part keeps workers busy or reports progress after the comparison is over.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  // The signal reaches the waits for workers too: a comparison whose workers all died can be cancelled.
  const model = queueModel(opts.model, scorer, signal);
  const settled = await Promise.allSettled(opts.strategies.map((entry) =>
    compare({
      ...opts,
      model,
      signal,
      strategies: [entry],
      reference: undefined, // the parts have one strategy each: pairs are made once they are merged
      // Each part reports "strategies 1/1"; the caller sees one count over all of them.
      onProgress: opts.onProgress &&
        ((e) => opts.onProgress!(e.task === "strategies" ? { ...e, done: ++done, total } : e)),
    }).catch((e) => {
      stop.abort(e);
      throw e;
    })
  ));
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const reports = settled.map((r) => (r as PromiseFulfilledResult<CompareReport>).value);
  const strategies = reports.flatMap((r) => r.strategies);
  return {
    ...reports[0],
    strategies,
    ...pairedComparisons(reports[0].metrics, strategies, statisticsOptions(opts)),
    seconds: Math.max(...reports.map((r) => r.seconds)),
  };
}
