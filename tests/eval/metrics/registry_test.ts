import assert from "node:assert/strict";
import { textReport } from "../../../compare/report.ts";
import { METRIC_IDS, METRIC_REGISTRY, metricById } from "../../../eval/metrics/registry.ts";
import { compareOnFacts } from "../_facts.ts";

Deno.test("registry: unique ids in display order; an unknown id is one clear error", () => {
  assert.deepEqual(METRIC_IDS, ["ppl", "needle", "passkey", "pet-choice", "short", "switch"]);
  assert.equal(new Set(METRIC_IDS).size, METRIC_REGISTRY.length);
  assert.equal(metricById("passkey").id, "passkey");
  assert.throws(
    () => metricById("bleu"),
    /unknown metric "bleu" \(known: ppl, needle, passkey, pet-choice, short, switch\)/,
  );
});

Deno.test("every registered metric scores every strategy on the same documents, and renders", async () => {
  const report = await compareOnFacts([["default", "default"], ["pi", "pi"]], {
    lengths: [320],
    metrics: [...METRIC_IDS],
    samples: 4,
    depths: [0, 0.5],
    seed: 2,
  });
  assert.deepEqual(report.metrics.map((m) => m.id), METRIC_IDS);
  const [a, b] = report.strategies;
  // `switch` needs a table with short and long sets: it skips these two, saying why.
  for (const s of [a, b]) assert.deepEqual(s.metrics.switch.detail, { skipped: "no short and long sets" });
  for (const info of report.metrics.filter((m) => m.id !== "switch")) {
    for (const { key } of info.columns) {
      const [ca, cb] = [a.metrics[info.id].cells[key], b.metrics[info.id].cells[key]];
      assert.equal(ca.scores.length, 4, `${info.id}@${key}`);
      assert.equal(ca.scores.length, cb.scores.length, `${info.id}@${key}`);
    }
  }
  // Same windows and same documents, whatever the strategy.
  type Ppl = Record<string, { offsets: number[] }>;
  assert.deepEqual(
    (a.metrics.ppl.detail as Ppl)["320"].offsets,
    (b.metrics.ppl.detail as Ppl)["320"].offsets,
  );
  type Trials = { trials: { expected: string; depth: number }[] };
  for (const id of ["passkey", "pet-choice"]) {
    const expected = (s: typeof a) =>
      (s.metrics[id].detail as Trials).trials.map((t) => `${t.depth}:${t.expected}`);
    assert.deepEqual(expected(a), expected(b), id);
  }
  // `short` rescored nothing for the original RoPE (default): every log-retention is exactly 0.
  assert.deepEqual(a.metrics.short.cells["256"].scores, [0, 0, 0, 0]);
  const text = textReport(report);
  for (const h of ["ppl@320", "needle@320", "passkey@320", "pet-choice@320", "short@256"]) {
    assert.match(text, new RegExp(h));
  }
});
