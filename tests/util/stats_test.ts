import assert from "node:assert/strict";
import { pairedT, studentTCdf, studentTQuantile } from "../../util/stats.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

Deno.test("Student t: quantiles and CDF match SciPy 1.17 (stats.t.ppf / stats.t.cdf)", () => {
  // python3 -c "from scipy import stats; print(stats.t.ppf(0.975,3), stats.t.ppf(0.975,1),
  //   stats.t.ppf(0.975,30), stats.t.cdf(-2.5,4))"
  close(studentTQuantile(0.975, 3), 3.1824463052837078, 1e-9, "t(0.975, 3)");
  close(studentTQuantile(0.975, 1), 12.706204736174694, 1e-8, "t(0.975, 1)");
  close(studentTQuantile(0.975, 30), 2.0422724563012378, 1e-9, "t(0.975, 30)");
  close(studentTCdf(-2.5, 4), 0.03338327240599407, 1e-12, "P(T ≤ −2.5), 4 df");
});

Deno.test("paired t against SciPy's ttest_rel on the same data", () => {
  // a, b as below; scipy.stats.ttest_rel(a, b).confidence_interval(0.95) = (0.0629374…, 0.6620625…)
  const a = [2.1, 3.4, 1.9, 2.8, 3.0, 2.2, 2.6, 3.1];
  const b = [1.8, 3.5, 1.2, 2.1, 2.9, 1.6, 2.7, 2.4];
  const t = pairedT(a, b);
  close(t.difference, 0.3625, 1e-12, "mean difference");
  close(t.ci95[0], 0.06293740946516718, 1e-9, "t interval low");
  close(t.ci95[1], 0.6620625905348327, 1e-9, "t interval high");
  assert.equal(t.significant, true);
  assert.throws(() => pairedT([1, 2], [1]), /as many values/);
  assert.deepEqual(pairedT([5], [1]).ci95, [-Infinity, Infinity]);
});
