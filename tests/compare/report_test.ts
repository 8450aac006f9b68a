import assert from "node:assert/strict";
import { charts, htmlReport, textReport } from "../../compare/report.ts";
import { pairedComparisons } from "../../compare/statistics.ts";
import type { CompareReport, MetricInfo, StrategyReport } from "../../compare/report_types.ts";
import { summarise } from "../../eval/metrics/metric.ts";

const info: MetricInfo = {
  id: "acc",
  description: "a test accuracy",
  better: "higher",
  scale: "linear",
  percent: true,
  scoreUnit: "exact match per document (1 or 0): accuracy",
  binary: true,
  columns: [{ key: "512", length: 512, header: "acc@512" }, {
    key: "1024",
    length: 1024,
    header: "acc@1024",
  }],
  charts: [{ id: "acc_by_length", title: "Accuracy by length", xLabel: "length", yLabel: "accuracy" }],
};

function strategy(label: string, at512: number[], at1024: number[]): StrategyReport {
  const cells = { "512": summarise(at512, "linear"), "1024": summarise(at1024, "linear") };
  return {
    label,
    factors: [1, 1],
    analysis: { theoreticalCriticalDim: 1, tenPeriodCriticalDim: 1 },
    metrics: {
      acc: {
        cells,
        lines: {
          acc_by_length: [[512, cells["512"].mean], [1024, cells["1024"].mean, cells["1024"].stderr]],
        },
      },
    },
  } as unknown as StrategyReport;
}

function report(): CompareReport {
  const ones = Array(16).fill(1), zeros = Array(16).fill(0);
  const half = ones.map((_, i) => i % 2);
  const strategies = [strategy("good", ones, half), strategy("bad", zeros, [...half].reverse())];
  return {
    format: "ropekit-compare-report",
    version: 2,
    created: "2026-01-01T00:00:00Z",
    model: { name: "m", spec: { originalContext: 256, theta: 10000, rotaryDim: 32, pairing: "interleaved" } },
    corpus: { name: "c", tokens: 1000 },
    settings: {
      lengths: [512, 1024],
      target: "per-length",
      metrics: ["acc"],
      samples: 16,
      seed: 0,
      template: "default",
      digits: 7,
      depths: [0],
    },
    metrics: [info],
    strategies,
    ...pairedComparisons([info], strategies, { seed: 0 }),
    seconds: 1,
  } as unknown as CompareReport;
}

Deno.test("text report: * for a best, ~ for not distinguishable, exact tests with discordant counts and Holm p", () => {
  const text = textReport(report());
  assert.match(text, /good\s+100\.0% ± 0\.0%\*\s+50\.0% ± 12\.9%~/);
  assert.match(text, /bad\s+0\.0% ± 0\.0%\s+50\.0% ± 12\.9%~/);
  // 16 of 16 discordant one way: exact McNemar p = 2/2¹⁶; Newcombe's interval stays inside [−100, 100] points.
  assert.match(
    text,
    /bad − good\s+-100\.0pp\s+\[-100\.0pp, -[\d.]+pp\]\s+0:16\s+p 3\.1e-5\s+adj 6\.1e-5\s+significant/,
  );
  assert.match(
    text,
    /acc@1024 \(exact match per document \(1 or 0\): accuracy\)\n\s+bad − good\s+0\.0pp .* 8:8\s+p 1\.0\s+adj 1\.0\s+not significant/,
  );
  assert.match(text, /power: n = 16 can show a difference only with ≥ 6 discordant documents all one way/);
  assert.match(text, /exact McNemar \(binomial\) test; Newcombe hybrid score interval/);
  assert.doesNotMatch(text, /tied/);
});

Deno.test("HTML report and charts: best and not-distinguishable classes, a comparisons table, error bars, a differences chart", () => {
  const r = report();
  const html = htmlReport(r);
  assert.match(html, /<td class="best">100\.0% ± 0\.0%<\/td>/);
  assert.equal(html.match(/class="indistinguishable"/g)?.length, 2);
  assert.match(html, /<tr class="significant"><td>acc@512<\/td><td>bad − good<\/td>/);
  const svgs = charts(r);
  assert.deepEqual(Object.keys(svgs).sort(), ["acc_by_length.svg", "differences_acc.svg", "factors.svg"]);
  assert.match(svgs["acc_by_length.svg"], /<path d="M[\d.]+ [\d.]+ V[\d.]+ M/); // the ± SE bar at 1024
  assert.match(svgs["differences_acc.svg"], /no difference/);
});

Deno.test("a stored version 1 report still renders as HTML (its data), without throwing", () => {
  const html = htmlReport(
    { format: "ropekit-compare-report", version: 1, strategies: [] } as unknown as CompareReport,
  );
  assert.match(html, /A version 1 report/);
  assert.match(html, /&quot;|"format"/);
});
