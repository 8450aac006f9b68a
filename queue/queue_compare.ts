/**
 * `compare` on queue workers: each strategy runs as its own comparison, side by side, on a model
 * whose forward passes go to the workers (`queueModel`). The parts every strategy shares (baselines,
 * the needle validity check, the original RoPE's short-context perplexity) are identical jobs, so the
 * workers score them once. The merged report equals the in-process one but for wall times.
 *
 * @module
 */
import { checkReference, compare, type CompareOptions, type CompareReport } from "../compare/compare.ts";
import { pairedComparisons } from "../compare/statistics.ts";
import { queueModel } from "./queue_model.ts";
import type { QueueScorer } from "./queue_scorer.ts";

/** Runs `opts` with the model's scoring on `scorer`'s workers. */
export async function compareOnQueue(opts: CompareOptions, scorer: QueueScorer): Promise<CompareReport> {
  checkReference(opts.reference, opts.strategies);
  const model = queueModel(opts.model, scorer);
  const total = opts.strategies.length;
  let done = 0;
  const reports = await Promise.all(opts.strategies.map((entry) =>
    compare({
      ...opts,
      model,
      strategies: [entry],
      reference: undefined, // the parts have one strategy each: pairs are made once they are merged
      // Each part reports "strategies 1/1"; the caller sees one count over all of them.
      onProgress: opts.onProgress &&
        ((e) => opts.onProgress!(e.task === "strategies" ? { ...e, done: ++done, total } : e)),
    })
  ));
  const strategies = reports.flatMap((r) => r.strategies);
  return {
    ...reports[0],
    strategies,
    ...pairedComparisons(reports[0].metrics, strategies, { seed: opts.seed, reference: opts.reference }),
    seconds: Math.max(...reports.map((r) => r.seconds)),
  };
}
