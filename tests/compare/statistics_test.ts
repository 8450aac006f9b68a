import assert from "node:assert/strict";
import { pairedComparisons } from "../../compare/statistics.ts";
import type { MetricInfo, StrategyReport } from "../../compare/report_types.ts";
import { summarise } from "../../eval/metrics/metric.ts";

const info = (better: "lower" | "higher"): MetricInfo => ({
  id: "m",
  description: "test metric",
  better,
  scale: "linear",
  percent: false,
  scoreUnit: "units",
  columns: [{ key: "512", length: 512, header: "m@512" }],
});

/** A strategy whose metric "m" at 512 has these per-document scores. */
const strategy = (label: string, scores: number[]) =>
  ({ label, metrics: { m: { cells: { "512": summarise(scores, "linear") } } } }) as unknown as StrategyReport;

const base = [2.25, 1.5, 0.75, 3.5, 2, 1.25, 4, 0.5];

Deno.test("comparisons: two strategies with identical scores differ by 0, not significantly; leaders tied", () => {
  const r = pairedComparisons(
    [info("lower")],
    [strategy("yarn", base), strategy("yarn:factor=2", [...base])],
    {
      seed: 0,
    },
  );
  assert.equal(r.comparisons.length, 1);
  const [c] = r.comparisons;
  assert.deepEqual([c.difference, c.ci95, c.significant], [0, [0, 0], false]);
  assert.deepEqual(r.verdicts, [{
    metric: "m",
    length: 512,
    column: "512",
    tied: ["yarn", "yarn:factor=2"],
  }]);
});

Deno.test("comparisons: a fixed shift is exact and significant; the best is marked", () => {
  const r = pairedComparisons(
    [info("lower")],
    [strategy("worse", base.map((v) => v + 0.25)), strategy("better", base)],
    { seed: 0 },
  );
  assert.deepEqual(r.comparisons, [{
    metric: "m",
    length: 512,
    column: "512",
    a: "worse",
    b: "better",
    difference: 0.25,
    stderr: 0,
    n: 8,
    ci95: [0.25, 0.25],
    significant: true,
  }]);
  assert.deepEqual(r.verdicts, [{ metric: "m", length: 512, column: "512", best: "better", tied: [] }]);
  assert.equal(r.statistics.method, "expanded paired percentile bootstrap over documents");
});

Deno.test("comparisons: higher is better flips the leader; a noisy runner-up ties, a clear loser does not", () => {
  const noisy = base.map((v, i) => v + (i % 2 ? 0.3 : -0.28)); // mean +0.01, spread ±0.3
  const r = pairedComparisons(
    [info("higher")],
    [strategy("low", base.map((v) => v - 1)), strategy("noisy", noisy), strategy("top", base)],
    { seed: 1 },
  );
  assert.deepEqual(r.verdicts, [{ metric: "m", length: 512, column: "512", tied: ["noisy", "top"] }]);
  const byA = Object.fromEntries(r.comparisons.map((c) => [c.a, c]));
  assert.equal(byA.low.b, "noisy"); // noisy's mean is the highest by 0.01: it is the reference
  assert.equal(byA.low.significant, true);
  assert.equal(byA.top.significant, false);
  assert.ok(byA.top.ci95[0] < 0 && byA.top.ci95[1] > 0);
});

Deno.test("comparisons: a named reference is every strategy's b, and the verdict's evidence is still listed", () => {
  const r = pairedComparisons(
    [info("lower")],
    [strategy("a", base), strategy("b", base.map((v) => v + 0.5)), strategy("ref", base.map((v) => v + 1))],
    { seed: 0, reference: "ref" },
  );
  const pairs = r.comparisons.map((c) => `${c.a}−${c.b}`);
  assert.deepEqual(pairs, ["a−ref", "b−ref", "b−a"]);
  assert.equal(r.comparisons[0].difference, -1);
  assert.deepEqual(r.verdicts[0], { metric: "m", length: 512, column: "512", best: "a", tied: [] });
  assert.equal(r.statistics.reference, "ref");
});
