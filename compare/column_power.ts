/** What one column of a report could have detected: the floor under its verdict, in words. @module */
import type { ColumnPower, MetricInfo } from "./report_types.ts";
import { formatDifference } from "../eval/metrics/metric.ts";
import { detectableDifference, minDiscordantAllOneWay, minSignFlipP } from "../util/power.ts";

const ALPHA = 0.05;

/**
 * The power statement of a column with n paired documents whose comparisons sit in a family of
 * `familySize` (Holm's first step tests at 0.05 / familySize). 0/1 scores: how many discordant documents,
 * all one way, the exact McNemar test needs. Other scores: the exact sign-flip test's floor (2/2ⁿ) and the
 * mean difference a paired t test detects with 80% power given `sd`, the column's typical standard deviation
 * of paired differences.
 */
export function columnPower(
  info: MetricInfo,
  column: { key: string; length: number },
  n: number,
  familySize: number,
  sd: number,
): ColumnPower {
  const base = { metric: info.id, length: column.length, column: column.key, n, familySize };
  const first = ALPHA / Math.max(1, familySize);
  if (info.binary) {
    const k = minDiscordantAllOneWay(n, ALPHA);
    const kAdj = minDiscordantAllOneWay(n, first);
    const pp = (x: number) => formatDifference({ percent: true, scale: "linear" }, x / n).replace(/^\+/, "");
    const text = k === undefined
      ? `n = ${n} cannot show any difference (the exact test needs ≥ ${
        minDiscordantAllOneWay(1e9, ALPHA)
      } discordant documents all one way)`
      : `n = ${n} can show a difference only with ≥ ${k} discordant documents all one way (≥ ${pp(k)})` +
        (familySize > 1
          ? kAdj === undefined
            ? `; after Holm over ${familySize} comparisons, not at all`
            : `; after Holm over ${familySize} comparisons, ≥ ${kAdj} (≥ ${pp(kAdj)})`
          : "");
    return {
      ...base,
      ...(k !== undefined ? { minDiscordant: k } : {}),
      ...(kAdj !== undefined ? { minDiscordantAdjusted: kAdj } : {}),
      text,
    };
  }
  const floor = minSignFlipP(n);
  const detectable = detectableDifference(sd, n, first);
  const parts = [
    floor >= first
      ? `n = ${n}: the exact sign-flip test cannot reach ${
        first.toPrecision(2)
      } (its smallest p is 2/2^${n} = ${floor.toPrecision(2)})`
      : `n = ${n}: smallest sign-flip p ${floor.toPrecision(2)}`,
  ];
  if (detectable !== undefined && floor < first) {
    parts.push(
      `a paired t test at 0.05/${familySize} detects ${
        formatDifference(info, detectable).replace(/^\+/, "")
      } with 80% power (SD of differences ${sd.toFixed(3)})`,
    );
  }
  return { ...base, ...(detectable !== undefined ? { detectable } : {}), text: parts.join("; ") };
}
