/**
 * Paired statistics of a comparison, in one place: for every metric and length, each strategy against
 * the column's top strategy (and against a named reference), by an exact paired test suited to the
 * scores (`util/paired_comparison.ts`); Holm's adjustment over each metric's comparisons; a verdict that
 * names a best only when it is significantly better than every other strategy of its column; and what
 * each column could have detected. `docs/statistics.md` explains every choice.
 *
 * @module
 */
import { pairedComparison } from "../util/paired_comparison.ts";
import { holmAdjust } from "../util/holm.ts";
import { columnPower } from "./column_power.ts";
import type {
  ColumnPower,
  Comparison,
  MetricCell,
  MetricInfo,
  StatisticsInfo,
  StrategyReport,
  Verdict,
} from "./report_types.ts";

/** Monte Carlo sign flips above 20 pairs (below, all 2ⁿ are enumerated). */
export const RESAMPLES = 100_000;
const ALPHA = 0.05;

/** The equivalence margin of a metric: its own, else 10 accuracy points for 0/1 scores and 0.02 nats otherwise. */
export function defaultMargin(info: MetricInfo): number {
  return info.margin ?? (info.binary ? 0.1 : 0.02);
}

/** Options of {@linkcode pairedComparisons}. */
export interface StatisticsOptions {
  /** Seeds the Monte Carlo sign flips (used above 20 pairs), so p-values are reproducible. */
  seed: number;
  /** Every strategy is also compared against this label (it must be one). */
  reference?: string;
  /** A pre-registered primary column, "METRIC@LENGTH" (or METRIC@KEY): its comparisons are their own family. */
  primary?: string;
  /** Equivalence margins by metric id, overriding the metrics' own. */
  margins?: Record<string, number>;
}

/** The documents the statistics of a column use: the cells' independent ones (the same for every strategy). */
function usable(cells: MetricCell[]): number[] {
  const all = cells[0].scores.map((_, i) => i);
  return cells.reduce<number[]>(
    (keep, c) => (c.independent ? keep.filter((i) => c.independent!.includes(i)) : keep),
    all,
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

/** Comparisons, verdicts and power of a finished comparison (the reference, when named, must be a label). */
export function pairedComparisons(
  metrics: MetricInfo[],
  strategies: StrategyReport[],
  opts: StatisticsOptions,
): { statistics: StatisticsInfo; comparisons: Comparison[]; verdicts: Verdict[]; power: ColumnPower[] } {
  const comparisons: Comparison[] = [];
  const verdicts: Verdict[] = [];
  const power: ColumnPower[] = [];
  const margins: Record<string, number> = {};
  for (const info of metrics) {
    const margin = opts.margins?.[info.id] ?? defaultMargin(info);
    margins[info.id] = margin;
    const own: Comparison[] = [];
    const columns: { column: { key: string; length: number }; sd: number; n: number; run: () => void }[] = [];
    for (const { key, length } of info.columns) {
      const present = strategies.filter((s) => s.metrics[info.id]?.cells[key]?.n >= 1);
      if (present.length < 2) continue;
      const cellOf = (s: StrategyReport) => s.metrics[info.id].cells[key];
      const keep = usable(present.map(cellOf));
      const family = opts.primary !== undefined &&
          (opts.primary === `${info.id}@${key}` || opts.primary === `${info.id}@${length}`)
        ? `primary: ${opts.primary}`
        : info.id;
      if (keep.length < 2) {
        // One document leaves no spread to judge a difference by: no comparison, no best.
        verdicts.push({
          metric: info.id,
          length,
          column: key,
          notDistinguishable: present.map((s) => s.label),
          equivalent: [],
          margin,
        });
        continue;
      }
      const sign = info.better === "lower" ? 1 : -1;
      const ranked = [...present].sort((x, y) => sign * (cellOf(x).mean - cellOf(y).mean));
      const top = ranked[0];
      const listed = new Map<string, Comparison>();
      const pair = (a: StrategyReport, b: StrategyReport) => {
        const id = [a.label, b.label].sort().join("\u0000");
        if (listed.has(id)) return;
        const pick = (s: StrategyReport) => keep.map((i) => cellOf(s).scores[i]);
        const r = pairedComparison(pick(a), pick(b), { binary: info.binary, seed: opts.seed, margin });
        const c: Comparison = {
          metric: info.id,
          length,
          column: key,
          a: a.label,
          b: b.label,
          difference: r.difference,
          stderr: r.stderr,
          n: r.n,
          test: r.test,
          interval: r.interval,
          p: r.p,
          pAdjusted: NaN,
          family,
          ci95: r.ci95,
          ...(r.discordant ? { discordant: r.discordant } : {}),
          ...(r.equivalence ? { equivalence: { ...r.equivalence, pAdjusted: NaN, equivalent: false } } : {}),
          significant: false,
        };
        listed.set(id, c);
        own.push(c);
      };
      const reference = opts.reference === undefined
        ? undefined
        : present.find((s) => s.label === opts.reference);
      if (reference) { for (const s of present) if (s !== reference) pair(s, reference); }
      for (const s of ranked.slice(1)) pair(s, top);
      const vsTop = (s: StrategyReport) => listed.get([s.label, top.label].sort().join("\u0000"))!;
      const sds = ranked.slice(1).map((s) => vsTop(s).stderr * Math.sqrt(keep.length));
      columns.push({
        column: { key, length },
        sd: median(sds),
        n: keep.length,
        run: () => {
          // After adjustment: a best only when it beats every other strategy of the column.
          const others = ranked.slice(1);
          const beaten = others.filter((s) => vsTop(s).significant);
          const equivalent = others.filter((s) => vsTop(s).equivalence?.equivalent).map((s) => s.label);
          verdicts.push(
            beaten.length === others.length
              ? {
                metric: info.id,
                length,
                column: key,
                best: top.label,
                notDistinguishable: [],
                equivalent,
                margin,
              }
              : {
                metric: info.id,
                length,
                column: key,
                notDistinguishable: [
                  top.label,
                  ...others.filter((s) => !beaten.includes(s)).map((s) => s.label),
                ],
                equivalent,
                margin,
              },
          );
        },
      });
    }
    // Holm over each family of this metric: the primary column alone, the rest of the metric together.
    for (const family of new Set(own.map((c) => c.family))) {
      const members = own.filter((c) => c.family === family);
      holmAdjust(members.map((c) => c.p)).forEach((p, i) => {
        members[i].pAdjusted = p;
        members[i].significant = p < ALPHA;
      });
      const withTost = members.filter((c) => c.equivalence);
      holmAdjust(withTost.map((c) => c.equivalence!.p)).forEach((p, i) => {
        withTost[i].equivalence!.pAdjusted = p;
        withTost[i].equivalence!.equivalent = p < ALPHA;
      });
    }
    for (const col of columns) {
      col.run();
      const familySize = own.filter((c) =>
        c.family === own.find((x) => x.column === col.column.key)?.family
      ).length;
      power.push(columnPower(info, col.column, col.n, familySize, col.sd));
    }
    comparisons.push(...own);
  }
  return {
    statistics: {
      method: "exact paired tests, Holm-adjusted",
      tests: {
        binary: "exact McNemar (binomial) test; Newcombe hybrid score interval (paired, method 10)",
        continuous:
          `sign-flip permutation test (exact up to 20 pairs, ${RESAMPLES} seeded Monte Carlo flips above); the interval that inverts it (paired t below 6 pairs)`,
      },
      resamples: RESAMPLES,
      seed: opts.seed,
      confidence: 0.95,
      alpha: ALPHA,
      family: opts.primary
        ? `the primary column ${opts.primary} alone; every other comparison of a metric (all its columns) together`
        : "every comparison of one metric (all its columns) together",
      ...(opts.primary ? { primary: opts.primary } : {}),
      margins,
      reference: opts.reference ?? "best per column",
    },
    comparisons,
    verdicts,
    power,
  };
}
