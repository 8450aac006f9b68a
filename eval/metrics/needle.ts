/**
 * `needle`: needle-driven perplexity as LongRoPE2 defines it (§3.2): a magic number (7 digits unless
 * `digits` says otherwise) stated in long filler and asked for at the end; the loss is taken on the
 * answer's digits only, located by character offsets. A model that cannot use that template even within
 * its trained window (the validity check) falls back to the `story-pet` template, and the report says so.
 * A template the user names is used as given (its validity still reported). Every column names its
 * template ("needle@512 (magic-number)"); a template that fails the validity check is labelled
 * "not valid" and gets no verdict (`MetricInfo.invalid`). Score: each document's mean answer NLL
 * (nats/token); the column shows exp(mean), the needle-driven perplexity.
 *
 * @module
 */
import { chooseNeedleTemplate, needlePerplexity } from "../needle.ts";
import {
  type ChartPoint,
  lengthColumns,
  type Metric,
  type MetricResult,
  metricSeed,
  summarise,
} from "./metric.ts";

/** Needle-driven perplexity. */
export const needleMetric: Metric = {
  id: "needle",
  description: "needle-driven perplexity: exp(mean NLL of the answer's tokens) over depths (lower is better)",
  options: ["lengths", "samples", "seed", "template", "digits", "depths"],
  async prepare(ctx) {
    const seed = metricSeed(ctx.seed, 101);
    ctx.check();
    const { template, validity, note } = await chooseNeedleTemplate(ctx.model, ctx.original, ctx.corpus, {
      template: ctx.template,
      digits: ctx.digits,
      samples: Math.max(ctx.samples, 4),
      seed: seed + 1,
      onProgress: ctx.onProgress,
    });
    const { lengths, depths } = ctx;
    return {
      info: {
        id: "needle",
        description: needleMetric.description,
        better: "lower",
        scale: "exp",
        percent: false,
        scoreUnit: "mean answer NLL per document, nats/token",
        columns: lengthColumns("needle", lengths).map((c) => ({
          ...c,
          header: `${c.header} (${template.name}${validity.valid ? "" : ", not valid"})`,
        })),
        note: validity.valid ? note : `${note}; no verdict`,
        ...(validity.valid ? {} : { invalid: validity.message }),
        charts: lengths.map((L) => ({
          id: `needle_by_depth_${L}`,
          title: `Needle answer NLL by depth, documents of ${L} tokens (± standard error)`,
          xLabel: "needle depth (0 = start of the document)",
          yLabel: "answer NLL (nats/token)",
        })),
        detail: { template, validity },
      },
      async run(tables, label) {
        const out: MetricResult & { lines: Record<string, ChartPoint[]> } = { cells: {}, lines: {} };
        const detail: Record<string, unknown> = {};
        for (const L of lengths) {
          ctx.check();
          const n = await needlePerplexity(ctx.model, tables.forLength(L), ctx.corpus, {
            template,
            depths,
            samples: Math.max(1, Math.ceil(ctx.samples / depths.length)),
            lengths: [L],
            seed: seed + L,
            onProgress: ctx.onProgress,
            label: `needle ${label} @${L}`,
          });
          out.cells[L] = summarise(n.scores, "exp");
          out.lines[`needle_by_depth_${L}`] = n.cells.map((c) => [c.depth, c.nll.mean, c.nll.stderr]);
          detail[L] = n.cells;
        }
        out.detail = detail;
        return out;
      },
    };
  },
};
