import assert from "node:assert/strict";
import { binomialTwoSidedP, mcnemarExactP, signFlipP } from "../../util/exact_tests.ts";
import { newcombePairedInterval, pairedTable, wilsonInterval } from "../../util/newcombe.ts";
import { holmAdjust } from "../../util/holm.ts";
import { pairedComparison } from "../../util/paired_comparison.ts";
import { normalCdf, normalQuantile } from "../../util/normal.ts";
import { oneSampleT, pairedT } from "../../util/stats.ts";
import { signFlipInterval } from "../../util/sign_flip_interval.ts";
import { minDiscordantAllOneWay } from "../../util/power.ts";
import { createRng } from "../../util/random.ts";
import { python, SCIPY } from "./scipy_reference.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} (tolerance ${tol})`);

Deno.test({
  name: "exact binomial and McNemar p-values match SciPy's binomtest and statsmodels' exact mcnemar",
  ignore: !SCIPY,
  async fn() {
    const cases: [number, number][] = [[0, 0], [4, 0], [5, 0], [7, 1], [6, 1], [3, 0], [6, 6], [2, 9], [
      0,
      30,
    ], [40, 61]];
    const ref = await python<{ binom: number[]; mcnemar: number[] }>(
      `from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar
binom = [binomtest(b, b + c, 0.5).pvalue if b + c else 1.0 for b, c in data]
mc = [float(mcnemar([[5, b], [c, 5]], exact=True).pvalue) for b, c in data]
print(json.dumps({"binom": binom, "mcnemar": mc}))`,
      cases,
    );
    cases.forEach(([b, c], i) => {
      close(binomialTwoSidedP(b, b + c), ref.binom[i], 1e-12, `binomial ${b}:${c}`);
      close(mcnemarExactP(b, c), ref.mcnemar[i], 1e-12, `McNemar ${b}:${c}`);
    });
    // The cases: 4–0, 5–0 and 7–1 discordant splits are not significant at 5%.
    assert.deepEqual([mcnemarExactP(4, 0), mcnemarExactP(5, 0)], [0.125, 0.0625]);
    assert.ok(mcnemarExactP(7, 1) > 0.05 && mcnemarExactP(6, 0) < 0.05);
  },
});

Deno.test({
  name: "Newcombe's paired interval (method 10) matches its formula on statsmodels' Wilson intervals",
  ignore: !SCIPY,
  async fn() {
    // [both, only a, only b, neither]
    const tables = [[36, 12, 2, 0], [0, 0, 7, 1], [1, 0, 7, 0], [5, 3, 0, 0], [0, 0, 0, 8], [8, 0, 0, 0], [
      2,
      3,
      1,
      2,
    ], [10, 1, 5, 16]];
    const ref = await python<number[][]>(
      `from statsmodels.stats.proportion import proportion_confint
from scipy.stats import norm
out = []
for a, b, c, d in data:
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = proportion_confint(a + b, n, alpha=0.05, method="wilson")
    l2, u2 = proportion_confint(a + c, n, alpha=0.05, method="wilson")
    A = (a + b) * (c + d) * (a + c) * (b + d)
    B = a * d - b * c
    C = B - n / 2 if B > n / 2 else (B if B < 0 else 0)
    phi = C / A ** 0.5 if A > 0 else 0
    lo = p1 - p2 - ((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2) ** 0.5
    hi = p1 - p2 + ((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2) ** 0.5
    out.append([max(-1, lo), min(1, hi)])
print(json.dumps(out))`,
      tables,
    );
    tables.forEach(([both, onlyA, onlyB, neither], i) => {
      const ci = newcombePairedInterval({ both, onlyA, onlyB, neither });
      close(ci[0], ref[i][0], 1e-9, `low of ${tables[i]}`);
      close(ci[1], ref[i][1], 1e-9, `high of ${tables[i]}`);
    });
    // No discordant pair among 8 cannot exclude a large discordance rate either way: [0, 0] is never claimed.
    const none = newcombePairedInterval({ both: 4, onlyA: 0, onlyB: 0, neither: 4 });
    assert.ok(none[0] < -0.2 && none[1] > 0.2, `${none}`);
  },
});

Deno.test({
  name: "normal quantile, Wilson interval, paired t and one-sample t match SciPy/statsmodels",
  ignore: !SCIPY,
  async fn() {
    const a = [2.1, 3.4, 1.9, 2.8, 3.0, 2.2, 2.6, 3.1];
    const b = [1.8, 3.5, 1.2, 2.1, 2.9, 1.6, 2.7, 2.4];
    const seeds = [0.137, 0.046, 0.099];
    const ref = await python<{ z: number[]; cdf: number; wilson: number[]; t: number[]; one: number[] }>(
      `from scipy import stats
from statsmodels.stats.proportion import proportion_confint
r = stats.ttest_rel(data["a"], data["b"])
ci = r.confidence_interval(0.95)
o = stats.ttest_1samp(data["s"], 0)
oci = o.confidence_interval(0.95)
print(json.dumps({"z": [stats.norm.ppf(0.975), stats.norm.ppf(0.9), stats.norm.ppf(1e-7)],
  "cdf": stats.norm.cdf(-6.5), "wilson": list(proportion_confint(3, 8, alpha=0.05, method="wilson")),
  "t": [ci.low, ci.high], "one": [oci.low, oci.high, o.pvalue]}))`,
      { a, b, s: seeds },
    );
    close(normalQuantile(0.975), ref.z[0], 1e-12, "z 0.975");
    close(normalQuantile(0.9), ref.z[1], 1e-12, "z 0.9");
    close(normalQuantile(1e-7), ref.z[2], 1e-10, "z 1e-7");
    close(normalCdf(-6.5), ref.cdf, 1e-10, "Φ(−6.5)");
    const w = wilsonInterval(3, 8, normalQuantile(0.975));
    close(w[0], ref.wilson[0], 1e-12, "Wilson low");
    close(w[1], ref.wilson[1], 1e-12, "Wilson high");
    const r = pairedT(a, b);
    close(r.ci95[0], ref.t[0], 1e-9, "paired t low");
    close(r.ci95[1], ref.t[1], 1e-9, "paired t high");
    // Below 6 pairs the sign-flip test cannot reject at 5%: its interval is unbounded and the t interval stands in.
    const few = pairedComparison(a.slice(0, 5), b.slice(0, 5));
    assert.equal(few.interval, "paired t");
    assert.deepEqual(few.ci95, pairedT(a.slice(0, 5), b.slice(0, 5)).ci95);
    const o = oneSampleT(seeds);
    close(o.ci95[0], ref.one[0], 1e-9, "seed-level t low");
    close(o.ci95[1], ref.one[1], 1e-9, "seed-level t high");
    close(o.p, ref.one[2], 1e-9, "seed-level t p");
  },
});

Deno.test({
  name:
    "sign-flip p: exact enumeration matches SciPy's permutation_test; Monte Carlo above 20 pairs is close to exact",
  ignore: !SCIPY,
  async fn() {
    const rng = createRng(3);
    const small = [0.31, -0.12, 0.45, 0.08, -0.02, 0.27, 0.19, -0.3, 0.11, 0.05];
    const ties = [1, 1, -1, 1, 2, -2, 1, 1]; // many equal |d|: ties must count
    const big = Array.from({ length: 24 }, () => rng.next() - 0.35);
    const ref = await python<number[]>(
      `import numpy as np
from scipy import stats
def p(d, n_resamples):
    d = np.array(d)
    r = stats.permutation_test((d,), lambda x, axis: np.mean(x, axis=axis), permutation_type="samples",
        n_resamples=n_resamples, alternative="two-sided", random_state=0)
    return float(r.pvalue)
print(json.dumps([p(data[0], np.inf), p(data[1], np.inf)]))`,
      [small, ties],
    );
    const s = signFlipP(small), t = signFlipP(ties);
    assert.equal(s.kind, "exact");
    assert.equal(s.patterns, 1024);
    close(s.p, ref[0], 1e-12, "10 differences");
    close(t.p, ref[1], 1e-12, "tied differences");
    const mc = signFlipP(big, { seed: 1 });
    assert.equal(mc.kind, "monte-carlo");
    assert.equal(mc.patterns, 100_000);
    // Against all 2²⁴ patterns (the enumeration SciPy agrees with above): within 4 Monte Carlo standard errors.
    const exact = signFlipP(big, { exactUpTo: 24 }).p;
    const se = Math.sqrt(exact * (1 - exact) / 100_000);
    assert.ok(Math.abs(mc.p - exact) < 4 * se + 1e-5, `${mc.p} vs ${exact}`);
    assert.deepEqual(signFlipP(big, { seed: 1 }), mc); // seeded
  },
});

Deno.test({
  name:
    "sign-flip interval: the shifts SciPy's permutation test does not reject, and it agrees with the p-value",
  ignore: !SCIPY,
  async fn() {
    const rng = createRng(11);
    // Heavy-tailed (one document far off: where a t interval and the permutation test disagree), tied, plain.
    const heavy = [0.05, 0.021, -0.023, -0.022, -0.002, 0.035, -0.025, 0.03, 0.109, 2.573, 0.024, 0.758];
    const ties = [1, 1, -1, 1, 2, -2, 1, 1, 3, 1];
    const plain = Array.from({ length: 14 }, () => rng.next() - 0.3);
    const sets = [heavy, ties, plain];
    const intervals = sets.map((d) => signFlipInterval(d)!);
    // SciPy's exact two-sided test of d − δ just inside and just outside each end.
    const eps = (d: number[]) => 1e-5 * (Math.max(...d) - Math.min(...d));
    const probes = sets.flatMap((d, i) => {
      const [lo, hi] = intervals[i].ci, e = eps(d);
      return [lo + e, lo - e, hi - e, hi + e].map((delta) => d.map((v) => v - delta));
    });
    const ref = await python<number[]>(
      `import numpy as np
from scipy import stats
def p(d):
    r = stats.permutation_test((np.array(d),), lambda x, axis: np.mean(x, axis=axis), permutation_type="samples",
        n_resamples=np.inf, alternative="two-sided")
    return float(r.pvalue)
print(json.dumps([p(d) for d in data]))`,
      probes,
    );
    sets.forEach((d, i) => {
      const [inLo, outLo, inHi, outHi] = ref.slice(4 * i, 4 * i + 4);
      assert.ok(
        inLo > 0.05 && inHi > 0.05,
        `set ${i}: SciPy rejects inside ${intervals[i].ci}: ${inLo}, ${inHi}`,
      );
      assert.ok(
        outLo <= 0.05 && outHi <= 0.05,
        `set ${i}: SciPy accepts outside ${intervals[i].ci}: ${outLo}, ${outHi}`,
      );
      const mean = d.reduce((x, v) => x + v, 0) / d.length;
      assert.ok(intervals[i].ci[0] <= mean && mean <= intervals[i].ci[1]);
    });
    // The heavy-tailed case: the test rejects 0, its interval leaves 0 out; the t interval would not.
    assert.ok(signFlipP(heavy).p < 0.05 && intervals[0].ci[0] > 0);
    assert.ok(pairedT(heavy, heavy.map(() => 0)).ci95[0] < 0);
    // Agreement with the p-value on many random sets, exact and Monte Carlo (same seeded patterns).
    for (let k = 0; k < 60; k++) {
      const n = [6, 9, 12, 16, 24][k % 5];
      const d = Array.from({ length: n }, () => (rng.next() - 0.35) * (rng.next() < 0.15 ? 10 : 1));
      const { ci } = signFlipInterval(d, { seed: 2 })!;
      const p = signFlipP(d, { seed: 2 }).p;
      assert.equal(ci[0] > 0 || ci[1] < 0, p <= 0.05, `n ${n}: p ${p}, interval ${ci}`);
    }
    assert.equal(signFlipInterval([0.1, 0.2, 0.3, 0.4, 0.5]), undefined, "5 pairs cannot reach p ≤ 0.05");
  },
});

Deno.test("Holm: step-down multipliers, monotone, capped at 1, NaN kept out of the family", () => {
  // Sorted p (0.01, 0.02, 0.03, 0.5) × (4, 3, 2, 1) = (0.04, 0.06, 0.06, 0.5), made non-decreasing.
  const adj = holmAdjust([0.03, 0.5, 0.01, 0.02, NaN]);
  [0.06, 0.5, 0.04, 0.06].forEach((v, i) => close(adj[i], v, 1e-15, `adjusted ${i}`));
  assert.ok(Number.isNaN(adj[4]));
  assert.deepEqual(holmAdjust([0.9, 0.8]), [1, 1]);
});

Deno.test({
  name: "Holm matches statsmodels' multipletests(method='holm')",
  ignore: !SCIPY,
  async fn() {
    const p = [0.0078125, 0.0312, 0.2, 0.0009, 0.049, 0.011, 0.7];
    const ref = await python<number[]>(
      `from statsmodels.stats.multitest import multipletests
print(json.dumps(list(multipletests(data, method="holm")[1])))`,
      p,
    );
    holmAdjust(p).forEach((v, i) => close(v, ref[i], 1e-12, `p ${i}`));
  },
});

Deno.test("every outcome of 8 paired 0/1 documents: false positives ≤ 5% under no difference, intervals in [−1, 1]", () => {
  // All 4⁸ assignments of (a, b) ∈ {0,1}² to 8 documents, each through the rule (memoised by its 2×2
  // table, which is all the rule reads). Under "no difference" a document is discordant either way with
  // equal probability: for each true discordance rate q on a grid, the chance the rule calls a difference
  // is the summed probability of the outcomes it rejects.
  const n = 8;
  const byTable = new Map<string, { count: number; rejects: boolean; discordant: number }>();
  for (let code = 0; code < 4 ** n; code++) {
    const a: number[] = [], b: number[] = [];
    for (let i = 0, x = code; i < n; i++, x >>= 2) {
      const cell = x & 3; // 0: both 1, 1: only a, 2: only b, 3: neither
      a.push(cell === 0 || cell === 1 ? 1 : 0);
      b.push(cell === 0 || cell === 2 ? 1 : 0);
    }
    const t = pairedTable(a, b);
    const key = `${t.both},${t.onlyA},${t.onlyB},${t.neither}`;
    const seen = byTable.get(key);
    if (seen) {
      seen.count++;
      continue;
    }
    const r = pairedComparison(a, b, { binary: true });
    assert.ok(r.ci95[0] >= -1 && r.ci95[1] <= 1, `interval ${r.ci95} leaves [−1, 1]`);
    assert.ok(r.ci95[0] <= r.difference && r.difference <= r.ci95[1], `interval excludes the estimate`);
    byTable.set(key, { count: 1, rejects: r.p < 0.05, discordant: t.onlyA + t.onlyB });
  }
  assert.equal([...byTable.values()].reduce((s, v) => s + v.count, 0), 4 ** n);
  let worst = 0;
  for (let q = 0.05; q <= 1.0001; q += 0.05) {
    let rejected = 0;
    for (const v of byTable.values()) {
      if (v.rejects) rejected += v.count * (q / 2) ** v.discordant * ((1 - q) / 2) ** (n - v.discordant);
    }
    worst = Math.max(worst, rejected);
  }
  assert.ok(worst <= 0.05, `false-positive rate ${worst}`);
  // And n = 8 needs 6 discordant documents all one way.
  assert.equal(minDiscordantAllOneWay(8, 0.05), 6);
  const t = pairedTable([1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(mcnemarExactP(t.onlyA, t.onlyB) < 0.05);
});

Deno.test("paired comparison: identical vectors p = 1; a constant shift is exact; TOST equivalence both ways", () => {
  const base = [2.25, 1.5, 0.75, 3.5, 2, 1.25, 4, 0.5];
  const same = pairedComparison(base, [...base], { margin: 0.02 });
  assert.deepEqual([same.difference, same.p, same.ci95], [0, 1, [0, 0]]);
  assert.equal(same.equivalence!.p, 0);
  const shift = pairedComparison(base.map((v) => v + 0.25), base, { margin: 0.02 });
  assert.deepEqual([shift.difference, shift.ci95], [0.25, [0.25, 0.25]]);
  assert.equal(shift.p, 2 / 256); // all 8 one way: the exact floor
  assert.equal(shift.equivalence!.p, 1);
  const bin = pairedComparison([1, 1, 0, 1, 0, 0, 1, 1], [1, 1, 0, 1, 0, 0, 1, 1], {
    binary: true,
    margin: 0.1,
  });
  assert.deepEqual([bin.test, bin.p, bin.discordant], ["exact McNemar", 1, [0, 0]]);
  assert.ok(bin.equivalence!.p > 0.05, "8 concordant documents cannot show equivalence within 10 points");
  const many = Array.from({ length: 400 }, (_, i) => i % 2);
  assert.ok(pairedComparison(many, many, { binary: true, margin: 0.1 }).equivalence!.p < 0.05);
  assert.throws(() => pairedComparison([0, 2], [0, 1], { binary: true }), /0\/1 scores/);
  assert.throws(() => pairedComparison([1, 2], [1]), /as many values/);
});
