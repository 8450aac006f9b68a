/**
 * `short`: short-context retention — windows of L0 tokens scored with the strategy's table (its short
 * set when it has one) against the original RoPE on the very same windows. Score: each window's
 * log-retention, original NLL − strategy NLL (nats/token, higher is better); the column shows
 * exp(mean) = original perplexity / strategy perplexity (100% = nothing lost).
 *
 * @module
 */
import { shortContextRetention } from "../retention.ts";
import { type Metric, metricSeed, summarise } from "./metric.ts";

/** Short-context retention. */
export const shortMetric: Metric = {
  id: "short",
  description: "short-context retention: original ppl / strategy ppl on windows of L0 (higher is better)",
  options: ["samples", "seed"],
  prepare(ctx) {
    const L0 = ctx.model.spec.originalContext;
    const seed = metricSeed(ctx.seed, 303);
    // The original RoPE's windows score the same for every strategy: computed once, by the first.
    let original: { ppl: number; perWindow: number[] } | undefined;
    return Promise.resolve({
      info: {
        id: "short",
        description: shortMetric.description,
        better: "higher",
        scale: "exp",
        percent: true,
        scoreUnit: "log-retention per window (original NLL − strategy NLL), nats/token",
        columns: [{ key: String(L0), length: L0, header: `short@${L0}` }],
      },
      async run(tables, label) {
        ctx.check();
        const r = await shortContextRetention(ctx.model, tables.headline, ctx.corpus, {
          samples: ctx.samples,
          seed,
          original: ctx.original,
          originalResult: original,
          onProgress: ctx.onProgress,
          label: `short ${label}`,
        });
        original = { ppl: r.originalPpl, perWindow: r.originalPerWindow };
        const scores = r.perWindow.map((v, i) => r.originalPerWindow[i] - v);
        const { perWindow: _a, originalPerWindow: _b, ...detail } = r;
        return { cells: { [L0]: summarise(scores, "exp") }, detail };
      },
    });
  },
};
