/**
 * What the generation metrics (`passkey`, `pet-choice`) share: needle documents over depths, the answer
 * retrieved by greedy decoding, a score of 1 for an exact match and 0 otherwise per document; the column
 * shows the accuracy.
 *
 * @module
 */
import type { NeedleTemplate } from "../needle.ts";
import { passkeyRetrieval, type PasskeyTrial } from "../passkey.ts";
import {
  type ChartPoint,
  lengthColumns,
  type Metric,
  type MetricContext,
  type MetricResult,
  metricSeed,
  summarise,
} from "./metric.ts";

/** A retrieval metric with its own template and document seed. */
export function retrievalMetric(def: {
  id: string;
  description: string;
  /** Salt of the document seed (see metricSeed). */
  salt: number;
  template(ctx: MetricContext): NeedleTemplate;
  /** What the note under the table says about the template. */
  note(template: NeedleTemplate): string;
}): Metric {
  return {
    id: def.id,
    description: def.description,
    options: ["lengths", "samples", "seed", "digits", "depths"],
    prepare(ctx) {
      const template = def.template(ctx);
      const seed = metricSeed(ctx.seed, def.salt);
      return Promise.resolve({
        info: {
          id: def.id,
          description: def.description,
          better: "higher",
          scale: "linear",
          percent: true,
          scoreUnit: "exact match per document (1 or 0): accuracy",
          binary: true,
          columns: lengthColumns(def.id, ctx.lengths),
          note: def.note(template),
          charts: ctx.lengths.map((L) => ({
            id: `${def.id}_by_depth_${L}`,
            title: `${def.id} accuracy by depth, documents of ${L} tokens (± standard error)`,
            xLabel: "needle depth (0 = start of the document)",
            yLabel: "accuracy",
          })),
          detail: { template },
        },
        async run(tables, label) {
          const out: MetricResult & { lines: Record<string, ChartPoint[]> } = { cells: {}, lines: {} };
          const trials: PasskeyTrial[] = [];
          for (const L of ctx.lengths) {
            ctx.check();
            const p = await passkeyRetrieval(ctx.model, tables.forLength(L), ctx.corpus, {
              template,
              depths: ctx.depths,
              samples: Math.max(1, Math.ceil(ctx.samples / ctx.depths.length)),
              lengths: [L],
              seed: seed + L,
              onProgress: ctx.onProgress,
              label: `${def.id} ${label} @${L}`,
            });
            out.cells[L] = summarise(p.trials.map((t) => (t.correct ? 1 : 0)), "linear");
            out.lines[`${def.id}_by_depth_${L}`] = p.cells.map((c) => [
              c.depth,
              c.accuracy.mean,
              c.accuracy.stderr,
            ]);
            trials.push(...p.trials);
          }
          out.detail = { trials };
          return out;
        },
      });
    },
  };
}
