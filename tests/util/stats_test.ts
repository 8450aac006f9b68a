import assert from "node:assert/strict";
import { estimate, pairedBootstrap, pairedT, studentTCdf, studentTQuantile } from "../../util/stats.ts";
import { createRng } from "../../util/random.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

Deno.test("paired bootstrap: identical inputs give difference 0, interval [0, 0], not significant", () => {
  const a = [2.3, 1.1, 0.7, 3.9, 2.2, 1.5];
  const r = pairedBootstrap(a, [...a], { seed: 3 });
  assert.deepEqual(r, { difference: 0, stderr: 0, n: 6, ci95: [0, 0], significant: false });
});

Deno.test("paired bootstrap: a fixed shift is recovered exactly, and is significant", () => {
  const b = [2.25, 1.5, 0.75, 3.5, 2, 1.25, 4, 0.5];
  const r = pairedBootstrap(b.map((v) => v + 0.5), b, { seed: 1 });
  assert.equal(r.difference, 0.5);
  assert.deepEqual(r.ci95, [0.5, 0.5]);
  assert.equal(r.significant, true);
  const down = pairedBootstrap(b.map((v) => v - 0.25), b);
  assert.deepEqual(down.ci95, [-0.25, -0.25]);
  assert.equal(down.significant, true);
});

Deno.test("paired bootstrap: a case by hand — two documents with differences 0 and 1", () => {
  // The resampled mean is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4, so the 2.5% and 97.5% quantiles
  // are 0 and 1. Expanded about the mean 0.5 by √(2/1)·t₀.₉₇₅,₁/z₀.₉₇₅, where t with 1 degree of freedom
  // is Cauchy: t₀.₉₇₅,₁ = tan(0.475π).
  const r = pairedBootstrap([1, 2], [1, 1], { seed: 7 });
  assert.equal(r.difference, 0.5);
  const f = Math.SQRT2 * Math.tan(0.475 * Math.PI) / 1.959963984540054; // ≈ 9.168
  close(r.ci95[0], 0.5 - 0.5 * f, 1e-9, "low");
  close(r.ci95[1], 0.5 + 0.5 * f, 1e-9, "high");
  assert.equal(r.significant, false);
});

Deno.test("paired bootstrap: two documents that both favour a are still not enough to call it", () => {
  // A plain percentile interval would be [0.003, 0.016] here (the two differences) and call it significant.
  const r = pairedBootstrap([4.103, 4.116], [4.1, 4.1]);
  assert.ok(r.ci95[0] < 0 && r.ci95[1] > 0, `${r.ci95}`);
  assert.equal(r.significant, false);
});

Deno.test("paired bootstrap: seeded (same seed, same interval) and pairing matters", () => {
  const rng = createRng(11);
  const b = Array.from({ length: 20 }, () => rng.next() * 10);
  const a = b.map((v) => v + 0.1 + 0.05 * (rng.next() - 0.5));
  const r1 = pairedBootstrap(a, b, { seed: 5 });
  assert.deepEqual(pairedBootstrap(a, b, { seed: 5 }), r1);
  // Paired: the documents' own spread (0..10) cancels, so a 0.1 shift is clearly significant…
  assert.equal(r1.significant, true);
  assert.ok(r1.ci95[0] > 0.08 && r1.ci95[1] < 0.12, `${r1.ci95}`);
  assert.notDeepEqual(pairedBootstrap(a, b, { seed: 6 }).ci95, r1.ci95); // the seed is the only randomness
  // …while an unpaired comparison of the same numbers could never see it.
  assert.ok(estimate(b).stderr > 0.5);
});

Deno.test("paired bootstrap: fewer than 2 pairs is never significant; unequal lengths are refused", () => {
  const one = pairedBootstrap([5], [1]);
  assert.equal(one.significant, false);
  assert.deepEqual(one.ci95, [-Infinity, Infinity]);
  assert.throws(() => pairedBootstrap([1, 2], [1]), /as many values/);
});

Deno.test("Student t: quantiles and CDF match SciPy 1.17 (stats.t.ppf / stats.t.cdf)", () => {
  // python3 -c "from scipy import stats; print(stats.t.ppf(0.975,3), stats.t.ppf(0.975,1),
  //   stats.t.ppf(0.975,30), stats.t.cdf(-2.5,4))"
  close(studentTQuantile(0.975, 3), 3.1824463052837078, 1e-9, "t(0.975, 3)");
  close(studentTQuantile(0.975, 1), 12.706204736174694, 1e-8, "t(0.975, 1)");
  close(studentTQuantile(0.975, 30), 2.0422724563012378, 1e-9, "t(0.975, 30)");
  close(studentTCdf(-2.5, 4), 0.03338327240599407, 1e-12, "P(T ≤ −2.5), 4 df");
});

Deno.test("paired t and paired bootstrap against SciPy's ttest_rel on the same data", () => {
  // a, b as below; scipy.stats.ttest_rel(a, b).confidence_interval(0.95) = (0.0629374…, 0.6620625…)
  const a = [2.1, 3.4, 1.9, 2.8, 3.0, 2.2, 2.6, 3.1];
  const b = [1.8, 3.5, 1.2, 2.1, 2.9, 1.6, 2.7, 2.4];
  const t = pairedT(a, b);
  close(t.difference, 0.3625, 1e-12, "mean difference");
  close(t.ci95[0], 0.06293740946516718, 1e-9, "t interval low");
  close(t.ci95[1], 0.6620625905348327, 1e-9, "t interval high");
  assert.equal(t.significant, true);
  // The expanded bootstrap interval must agree with t's within a few hundredths on these nearly normal
  // differences (the plain percentile one, [0.125, 0.5875] here, is too narrow for n = 8).
  const boot = pairedBootstrap(a, b, { seed: 0 });
  close(boot.ci95[0], 0.06293740946516718, 0.04, "bootstrap low");
  close(boot.ci95[1], 0.6620625905348327, 0.04, "bootstrap high");
  assert.equal(boot.significant, true);
});
