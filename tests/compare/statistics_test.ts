import assert from "node:assert/strict";
import { pairedComparisons } from "../../compare/statistics.ts";
import type { MetricInfo, StrategyReport } from "../../compare/report_types.ts";
import { summarise } from "../../eval/metrics/metric.ts";
import { mcnemarExactP, signFlipP } from "../../util/exact_tests.ts";

const info = (better: "lower" | "higher", binary = false, keys = ["512"]): MetricInfo => ({
  id: "m",
  description: "test metric",
  better,
  scale: "linear",
  percent: binary,
  scoreUnit: "units",
  ...(binary ? { binary: true } : {}),
  columns: keys.map((k) => ({ key: k, length: Number(k), header: `m@${k}` })),
});

/** A strategy whose metric "m" has these per-document scores in every column. */
const strategy = (label: string, scores: number[], keys = ["512"]) =>
  ({
    label,
    metrics: { m: { cells: Object.fromEntries(keys.map((k) => [k, summarise(scores, "linear")])) } },
  }) as unknown as StrategyReport;

const base = [2.25, 1.5, 0.75, 3.5, 2, 1.25, 4, 0.5];

Deno.test("statistics: two labels with identical scores are never significant and never 'best'", () => {
  const r = pairedComparisons(
    [info("lower")],
    [strategy("yarn", base), strategy("yarn:factor=2", [...base])],
    {
      seed: 0,
    },
  );
  assert.equal(r.comparisons.length, 1);
  const [c] = r.comparisons;
  assert.deepEqual([c.difference, c.ci95, c.p, c.pAdjusted, c.significant], [0, [0, 0], 1, 1, false]);
  assert.equal(c.test, "exact sign-flip");
  assert.equal(r.verdicts[0].best, undefined);
  assert.deepEqual(r.verdicts[0].notDistinguishable.sort(), ["yarn", "yarn:factor=2"]);
  assert.ok(!("tied" in r.verdicts[0]));
});

Deno.test("statistics: a best must beat every other strategy after Holm, not just the runner-up", () => {
  // 'far' is far behind but noisy: its difference with the top is not significant, so no best, although
  // the runner-up by mean is clearly behind.
  const rng = [0.9, -1.1, 1.3, -0.7, 1.6, -1.4, 0.8, -1.2];
  const r = pairedComparisons(
    [info("lower")],
    [
      strategy("top", base),
      strategy("second", base.map((v) => v + 0.3)),
      strategy("far", base.map((v, i) => v + 0.4 + rng[i])),
    ],
    { seed: 0 },
  );
  const vs = Object.fromEntries(r.comparisons.map((c) => [c.a, c]));
  assert.equal(vs.second.b, "top");
  assert.equal(vs.second.significant, true);
  assert.equal(vs.far.significant, false);
  assert.equal(r.verdicts[0].best, undefined);
  assert.deepEqual(r.verdicts[0].notDistinguishable, ["top", "far"]);
  // Holm over the family of 2: p × 2 for the smaller.
  assert.equal(vs.second.pAdjusted, Math.min(1, 2 * vs.second.p));
  assert.equal(r.statistics.family, "every comparison of one metric (all its columns) together");
});

Deno.test("statistics: 0/1 scores use exact McNemar with discordant counts; 5–0 is not significant", () => {
  const a = [1, 1, 1, 1, 1, 0, 1, 0], b = [0, 0, 0, 0, 0, 0, 1, 0];
  const r = pairedComparisons([info("higher", true)], [strategy("a", a), strategy("b", b)], { seed: 0 });
  const [c] = r.comparisons;
  assert.deepEqual([c.test, c.discordant, c.p], ["exact McNemar", [0, 5], mcnemarExactP(0, 5)]);
  assert.equal(c.p, 0.0625);
  assert.equal(c.significant, false);
  assert.ok(c.ci95[0] >= -1 && c.ci95[1] <= 1);
  assert.match(r.power[0].text, /n = 8 can show a difference only with ≥ 6 discordant documents all one way/);
  assert.equal(r.verdicts[0].best, undefined);
});

Deno.test("statistics: --primary makes one column its own family; equivalence is claimed only by TOST", () => {
  const keys = ["512", "1024"];
  const twin = base.map((v, i) => v + (i % 2 ? 0.001 : -0.001));
  const r = pairedComparisons(
    [info("lower", false, keys)],
    [strategy("a", base, keys), strategy("b", base.map((v) => v + 1), keys), strategy("c", twin, keys)],
    { seed: 0, primary: "m@1024", margins: { m: 0.05 } },
  );
  const fam = (key: string) => r.comparisons.filter((c) => c.column === key).map((c) => c.family);
  assert.deepEqual(new Set(fam("1024")), new Set(["primary: m@1024"]));
  assert.deepEqual(new Set(fam("512")), new Set(["m"]));
  const cVsA = r.comparisons.find((c) => c.column === "512" && c.a === "c")!;
  assert.equal(cVsA.equivalence!.margin, 0.05);
  assert.equal(cVsA.equivalence!.equivalent, true);
  assert.deepEqual(r.verdicts.find((v) => v.column === "512")!.equivalent, ["c"]);
  // With a margin smaller than the noise, no equivalence.
  const strict = pairedComparisons([info("lower")], [strategy("a", base), strategy("c", twin)], {
    seed: 0,
    margins: { m: 0.0005 },
  });
  assert.equal(strict.comparisons[0].equivalence!.equivalent, false);
});

Deno.test("statistics: no significant comparison whose exact test says p ≥ 0.05", () => {
  const rng = [0.3, -0.1, 0.2, 0.25, -0.05, 0.4, 0.15, 0.1];
  const r = pairedComparisons(
    [info("lower")],
    [
      strategy("x", base),
      strategy("y", base.map((v, i) => v + rng[i])),
      strategy("z", base.map((v) => v + 2)),
    ],
    { seed: 0 },
  );
  for (const c of r.comparisons) {
    const scores = (l: string) =>
      ({ x: base, y: base.map((v, i) => v + rng[i]), z: base.map((v) => v + 2) })[l]!;
    const exact = signFlipP(scores(c.a).map((v, i) => v - scores(c.b)[i])).p;
    assert.equal(c.p, exact);
    if (c.significant) assert.ok(exact < 0.05 && c.pAdjusted < 0.05);
  }
});

Deno.test("statistics: overlapping windows — only the independent documents are paired", () => {
  const cell = (scores: number[]) => ({ ...summarise(scores, "linear"), independent: [0, 2, 4, 6] });
  const s = (label: string, scores: number[]) =>
    ({ label, metrics: { m: { cells: { "512": cell(scores) } } } }) as unknown as StrategyReport;
  const r = pairedComparisons([info("lower")], [s("a", base), s("b", base.map((v) => v + 1))], { seed: 0 });
  assert.equal(r.comparisons[0].n, 4);
  assert.equal(r.comparisons[0].p, 2 / 16);
});
