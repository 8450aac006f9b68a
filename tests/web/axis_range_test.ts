/**
 * The page's chart axes fit their data: a chart of one length (a differences chart of a single-length
 * comparison) spans a narrow window around it, not 0–2000 as uPlot's rounding gave; several values span
 * their own extent with a 5% margin; a log axis stays positive.
 */
import assert from "node:assert/strict";
import { fitRange } from "../../web/axis_range.ts";

Deno.test("axis ranges: one value gets a narrow window, several their extent, log axes stay positive", () => {
  const [lo, hi] = fitRange([1024])!;
  assert.ok(lo < 1024 && hi > 1024, `${lo}..${hi}`);
  assert.ok(hi - lo <= 1024 * 0.1 + 1e-9, `a lone 1024 spans ${lo}..${hi}`);
  assert.deepEqual(fitRange([512, 1024, 2048]), [512 - 76.8, 2048 + 76.8]);
  const [a, b] = fitRange([0.5, 8, -1, Number.NaN], true)!;
  assert.ok(a > 0 && a < 0.5 && b > 8, `${a}..${b}`);
  assert.equal(fitRange([]), undefined);
  const [z0, z1] = fitRange([0])!;
  assert.ok(z0 < 0 && z1 > 0);
});
