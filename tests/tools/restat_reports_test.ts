/**
 * The committed reports' statistics are what today's `compare/statistics.ts` gives for their own
 * per-document scores (tools/restat_reports.ts re-derived them): rerunning it changes nothing.
 */
import assert from "node:assert/strict";
import { restat } from "../../tools/restat_reports.ts";
import type { CompareReport } from "../../compare/report_types.ts";

const root = new URL("../../", import.meta.url).pathname;

for (const dir of ["stories260K_builtin", "facts837K_searched_2048", "stories260K_searched_2048"]) {
  Deno.test(`restat: docs/results/${dir} holds the statistics of its own scores`, async () => {
    const committed = JSON.parse(
      await Deno.readTextFile(`${root}docs/results/${dir}/report.json`),
    ) as CompareReport;
    const again = restat(structuredClone(committed), committed.statistics.recomputed ?? "");
    assert.deepEqual(again.comparisons, committed.comparisons);
    assert.deepEqual(again.verdicts, committed.verdicts);
    assert.deepEqual(again.power, committed.power);
    // Every significant comparison's exact p is below 0.05, and every best beats every other strategy.
    for (const c of committed.comparisons) if (c.significant) assert.ok(c.p < 0.05 && c.pAdjusted < 0.05);
    for (const v of committed.verdicts.filter((v) => v.best)) {
      const rivals = committed.comparisons.filter((c) =>
        c.metric === v.metric && c.column === v.column && (c.a === v.best || c.b === v.best)
      );
      const present = committed.strategies.filter((s) => s.metrics[v.metric]?.cells[v.column!]);
      assert.equal(rivals.length, present.length - 1);
      assert.ok(rivals.every((c) => c.significant), `${v.metric}@${v.column}: best ${v.best}`);
    }
  });
}
