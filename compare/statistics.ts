/**
 * Paired statistics of a comparison, in one place: for every metric and length, each strategy against
 * the reference (the best strategy of that column, or a named one) by a seeded paired bootstrap over
 * documents, and a verdict that names a best strategy only when it is significantly better than the
 * runner-up.
 *
 * @module
 */
import { pairedBootstrap } from "../util/stats.ts";
import type { Comparison, MetricInfo, StatisticsInfo, StrategyReport, Verdict } from "./report_types.ts";

/** Resamples per interval: enough that the 2.5% and 97.5% quantiles move by well under their width. */
export const RESAMPLES = 10_000;

/** Comparisons and verdicts of a finished comparison (the reference, when named, must be a label). */
export function pairedComparisons(
  metrics: MetricInfo[],
  strategies: StrategyReport[],
  opts: { seed: number; reference?: string },
): { statistics: StatisticsInfo; comparisons: Comparison[]; verdicts: Verdict[] } {
  const comparisons: Comparison[] = [];
  const verdicts: Verdict[] = [];
  const pair = (info: MetricInfo, key: string, length: number, a: StrategyReport, b: StrategyReport) => {
    const sa = a.metrics[info.id].cells[key].scores, sb = b.metrics[info.id].cells[key].scores;
    const d = pairedBootstrap(sa, sb, { seed: opts.seed, resamples: RESAMPLES });
    return { metric: info.id, length, column: key, a: a.label, b: b.label, ...d };
  };
  for (const info of metrics) {
    for (const { key, length } of info.columns) {
      const present = strategies.filter((s) => s.metrics[info.id]?.cells[key]?.n >= 1);
      if (present.length < 2) continue;
      const sign = info.better === "lower" ? 1 : -1;
      if (present.some((s) => s.metrics[info.id].cells[key].n < 2)) {
        // One document per strategy leaves no spread to judge a difference by: no comparison, no best.
        verdicts.push({ metric: info.id, length, column: key, tied: present.map((s) => s.label) });
        continue;
      }
      const ranked = [...present].sort((x, y) =>
        sign * (x.metrics[info.id].cells[key].mean - y.metrics[info.id].cells[key].mean)
      );
      const best = ranked[0];
      const vsBest = new Map(ranked.slice(1).map((s) => [s.label, pair(info, key, length, s, best)]));
      const reference = opts.reference === undefined
        ? best
        : present.find((s) => s.label === opts.reference) ?? best;
      for (const s of present) {
        if (s === reference) continue;
        comparisons.push(reference === best ? vsBest.get(s.label)! : pair(info, key, length, s, reference));
      }
      const runnerUp = vsBest.get(ranked[1].label)!;
      const same = (c: Comparison) =>
        (c.a === runnerUp.a && c.b === runnerUp.b) || (c.a === runnerUp.b && c.b === runnerUp.a);
      if (!comparisons.some(same)) comparisons.push(runnerUp); // the verdict's evidence is always listed
      verdicts.push(
        runnerUp.significant ? { metric: info.id, length, column: key, best: best.label, tied: [] } : {
          metric: info.id,
          length,
          column: key,
          tied: [
            best.label,
            ...ranked.slice(1).filter((s) => !vsBest.get(s.label)!.significant).map((s) => s.label),
          ],
        },
      );
    }
  }
  return {
    statistics: {
      method: "expanded paired percentile bootstrap over documents",
      resamples: RESAMPLES,
      seed: opts.seed,
      confidence: 0.95,
      reference: opts.reference ?? "best per column",
    },
    comparisons,
    verdicts,
  };
}
