/**
 * Adding a metric is one file: this test defines one (the NLL of each window's last 32 tokens) and
 * nothing else in ropekit knows it, yet compare scores it for every strategy, pairs it, and the text,
 * HTML, SVG and JSON reports all show it.
 */
import assert from "node:assert/strict";
import { charts, htmlReport, textReport } from "../../compare/report.ts";
import { type Metric, metricSeed, summarise } from "../../eval/metrics/metric.ts";
import { sampleOffsets } from "../../eval/corpus.ts";
import { createRng } from "../../util/random.ts";
import { compareOnFacts } from "../eval/_facts.ts";

const tailNll: Metric = {
  id: "tail-nll",
  description: "NLL of each window's last 32 tokens (lower is better)",
  options: ["lengths", "samples", "seed"],
  prepare(ctx) {
    return Promise.resolve({
      info: {
        id: "tail-nll",
        description: tailNll.description,
        better: "lower",
        scale: "linear",
        percent: false,
        scoreUnit: "nats/token",
        columns: ctx.lengths.map((L) => ({ key: String(L), length: L, header: `tail@${L}` })),
        charts: [{ id: "tail_nll", title: "Tail NLL by length", xLabel: "length", yLabel: "nats/token" }],
      },
      async run(tables) {
        const cells: Record<string, ReturnType<typeof summarise>> = {};
        const line: [number, number, number][] = [];
        for (const L of ctx.lengths) {
          const rng = createRng(metricSeed(ctx.seed, 999));
          const scores: number[] = [];
          for (const off of sampleOffsets(rng, ctx.corpus.ids.length, L - 1, ctx.samples)) {
            const ids = [ctx.model.tokenizer.bosId, ...ctx.corpus.ids.subarray(off, off + L - 1)];
            const [nll] = (await ctx.model.nll([ids], await tables.forLength(L)(L))).nll;
            scores.push(nll.subarray(-32).reduce((a, b) => a + b, 0) / 32);
          }
          cells[L] = summarise(scores, "linear");
          line.push([L, cells[L].value, cells[L].stderr]);
        }
        return { cells, lines: { tail_nll: line } };
      },
    });
  },
};

Deno.test("a metric defined in one file is scored, paired and rendered everywhere", async () => {
  const report = await compareOnFacts([["default", "default"], ["yarn", "yarn"], ["yarn:factor=2", "yarn", {
    factor: 2,
  }]], {
    lengths: [512],
    metrics: [tailNll],
    samples: 4,
    seed: 0,
    reference: "yarn",
  });
  assert.deepEqual(report.settings.metrics, ["tail-nll"]);
  assert.equal(report.metrics[0].id, "tail-nll");
  for (const s of report.strategies) assert.equal(s.metrics["tail-nll"].cells["512"].n, 4);
  // The same strategy twice (yarn's default factor at 512 is 512/256 = 2): identical scores, difference 0.
  const [, yarn, again] = report.strategies;
  assert.deepEqual(
    yarn.metrics["tail-nll"].cells["512"].scores,
    again.metrics["tail-nll"].cells["512"].scores,
  );
  const twin = report.comparisons.find((c) => c.a === "yarn:factor=2" && c.b === "yarn")!;
  assert.deepEqual([twin.difference, twin.ci95, twin.significant], [0, [0, 0], false]);
  assert.notEqual(report.verdicts[0].best, "yarn");
  assert.notEqual(report.verdicts[0].best, "yarn:factor=2");
  assert.ok(report.comparisons.length >= 2);
  for (const c of report.comparisons) {
    assert.equal(c.metric, "tail-nll");
    assert.equal(c.length, 512);
    assert.equal(c.ci95.length, 2);
    assert.ok(c.ci95[0] <= c.difference && c.difference <= c.ci95[1]);
  }
  assert.match(textReport(report), /tail@512/);
  assert.match(textReport(report), /tail@512 \(nats\/token\)/); // its comparisons section
  assert.match(htmlReport(report), /<th>tail@512<\/th>/);
  const svg = charts(report)["tail_nll.svg"];
  assert.match(svg, /Tail NLL by length/);
  assert.match(svg, /yarn:factor=2/);
});
