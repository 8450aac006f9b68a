/**
 * The verdict on LongRoPE2's critical index, on documents where the answer is known. Its paired test and
 * Holm's adjustment are the report's own (util/paired_comparison.ts, util/holm.ts), checked against SciPy
 * and statsmodels in tests/util/paired_comparison_test.ts.
 */
import assert from "node:assert/strict";
import { criticalVerdict, type KCandidate } from "../../search/critical_verdict.ts";
import { createRng } from "../../util/random.ts";

const noisy = (seed: number, n: number, shift: number, sd: number) => {
  const r = createRng(seed);
  return Array.from({ length: n }, () => shift + sd * (r.next() + r.next() + r.next() - 1.5));
};

/** Scores of k = 5…10 on the same 32 documents: a document effect shared by every k, plus k's own effect and noise. */
function candidates(effect: (k: number) => number, noise: number, seed = 1): KCandidate[] {
  const doc = noisy(seed, 32, 2, 2);
  return [5, 6, 7, 8, 9, 10].map((k) => {
    const own = noisy(seed * 100 + k, 32, 0, noise);
    return {
      k,
      key: `k${k}`,
      search_fitness: Math.exp(2 + effect(k)),
      scores: doc.map((d, i) => d + effect(k) + own[i]),
    };
  });
}
const settings = { theoreticalK: 8, officialDefaultK: 7, range: [5, 10] as [number, number] };

Deno.test("criticalVerdict: a k clearly better than both neighbours is found; every other k has an interval against ⌈x⌉", () => {
  const v = criticalVerdict({
    ...settings,
    candidates: candidates((k) => 0.05 * (k - 6) ** 2, 0.05),
    selectedK: 6,
  });
  assert.equal(v.identified, true);
  assert.equal(v.found_k, 6);
  assert.equal(v.best_rescored_k, 6);
  assert.deepEqual(v.rows.map((r) => r.k), [5, 6, 7, 8, 9, 10]);
  for (const r of v.rows) {
    assert.equal(r.n, 32);
    assert.ok(Math.abs(Math.log(r.rescored_fitness) - r.rescored_nll) < 1e-12);
    if (r.k === 8) assert.equal(r.vs_theory, null);
    else {assert.ok(
        r.vs_theory && r.vs_theory.ci95[0] <= r.vs_theory.difference && r.vs_theory.p_holm >= r.vs_theory.p,
      );}
  }
  // k = 6 is 0.2 nats better than the theoretical 8: its interval lies below 0.
  const six = v.rows.find((r) => r.k === 6)!.vs_theory!;
  assert.ok(six.ci95[1] < 0 && Math.abs(six.difference + 0.2) < 0.05, JSON.stringify(six));
  assert.deepEqual(v.neighbours.map((d) => d.k), [5, 7]);
  assert.ok(v.neighbours.every((d) => d.difference < 0 && d.p_holm < 0.05));
  assert.match(v.statement, /^found k = 6: on 32 fresh documents it beats its neighbours/);
  assert.match(v.statement, /critical pair ⌈x⌉ = 8, official default ⌈x⌉ − 1 = 7/);
});

Deno.test("criticalVerdict: differences within the noise, or a selected k that is not the re-scored best, are not identifiable", () => {
  const flat = criticalVerdict({
    ...settings,
    candidates: candidates((k) => 0.01 * (k - 6) ** 2, 0.5),
    selectedK: 6,
  });
  assert.equal(flat.identified, false);
  assert.equal(flat.found_k, undefined);
  assert.match(flat.statement, /^k is not identifiable at this budget: the search selected k = 6/);
  // The search selected 9, but on the fresh documents 6 is clearly best: no claim for 9.
  const wrong = criticalVerdict({
    ...settings,
    candidates: candidates((k) => 0.05 * (k - 6) ** 2, 0.05),
    selectedK: 9,
  });
  assert.equal(wrong.identified, false);
  assert.equal(wrong.best_rescored_k, 6);
  assert.match(wrong.statement, /the best re-scored k is 6/);
  // At the end of the range: one neighbour, said so when found.
  const edge = criticalVerdict({
    ...settings,
    candidates: candidates((k) => 0.1 * (k - 5), 0.05),
    selectedK: 5,
  });
  assert.equal(edge.found_k, 5);
  assert.deepEqual(edge.neighbours.map((d) => d.k), [6]);
  assert.match(edge.statement, /at the end of the searched range \[5, 10\]/);
  assert.throws(
    () =>
      criticalVerdict({
        ...settings,
        selectedK: 5,
        candidates: [{ k: 5, key: "a", search_fitness: 1, scores: [1, 2] }, {
          k: 6,
          key: "b",
          search_fitness: 1,
          scores: [1],
        }],
      }),
    /same documents/,
  );
});
