/** The search loop on cheap synthetic fitness: determinism, constraints, dedup, budgets, concurrency. */
import assert from "node:assert/strict";
import { runEvolution, selectParents } from "../../search/evolution.ts";
import { type EvalTask, LocalPool } from "../../search/evaluator.ts";
import type { Longrope2Genome } from "../../search/spaces/longrope2_space.ts";
import { runSynthetic, SETTINGS, space, syntheticFitness } from "./_synthetic.ts";

/** A fitness that records every task it is given. */
function recording(delay = 0) {
  const tasks: EvalTask[] = [];
  const inner = syntheticFitness(delay);
  return { tasks, fitness: (t: EvalTask) => (tasks.push(t), inner(t)) };
}

Deno.test("same seed → same result; another seed → another path; the search improves on its seeds", async () => {
  const a = await runSynthetic();
  const b = await runSynthetic();
  assert.deepEqual(a.best, b.best);
  assert.deepEqual(a.history, b.history);
  assert.equal(a.evaluated, 16 + 6 * 8);
  const sp = space();
  const c = await runEvolution({
    space: sp,
    evaluator: new LocalPool(syntheticFitness()),
    settings: { ...SETTINGS, seed: 8 },
  });
  assert.notDeepEqual(c.history, a.history);
  assert.ok(a.best.fitness < Math.min(...a.seeds.map((s) => s.fitness)), "no improvement over the seeds");
  // Best-so-far never gets worse.
  for (let i = 1; i < a.history.length; i++) assert.ok(a.history[i].best <= a.history[i - 1].best);
});

Deno.test("every evaluated candidate is valid and distinct; the evaluator is called once per candidate", async () => {
  const sp = space();
  const rec = recording();
  const r = await runEvolution({ space: sp, evaluator: new LocalPool(rec.fitness), settings: SETTINGS });
  assert.equal(rec.tasks.length, r.evaluated);
  assert.equal(r.fresh, r.evaluated);
  const keys = rec.tasks.map((t) => t.key);
  assert.equal(new Set(keys).size, keys.length, "a candidate was evaluated twice");
  for (const t of rec.tasks) {
    const g = t.genome as Longrope2Genome;
    assert.equal(sp.violation(g), null);
    assert.equal(t.key, sp.key(g));
    assert.ok(g.critical_index >= 23 && g.critical_index <= 34);
    const f = t.params.long_factor as number[];
    for (let i = 1; i < f.length; i++) assert.ok(f[i] > f[i - 1], `factors not strictly increasing at ${i}`);
  }
});

Deno.test("an evaluation budget stops at exactly that many candidates, deterministically", async () => {
  const run = () =>
    runEvolution({
      space: space(),
      evaluator: new LocalPool(syntheticFitness()),
      settings: SETTINGS,
      budget: { evaluations: 30 },
    });
  const [a, b] = [await run(), await run()];
  assert.equal(a.evaluated, 30);
  assert.equal(a.stopped, "evaluations");
  assert.deepEqual(a.best, b.best);
  assert.equal(a.history.at(-1)!.evaluations, 30);
});

Deno.test("a time budget stops the search early and keeps the best found", async () => {
  const r = await runEvolution({
    space: space(),
    evaluator: new LocalPool(syntheticFitness(20)),
    settings: SETTINGS,
    budget: { seconds: 0.3 },
  });
  assert.equal(r.stopped, "time");
  assert.ok(r.evaluated >= 1 && r.evaluated < 40, `${r.evaluated} evaluations in 0.3 s at 20 ms each`);
  assert.ok(Number.isFinite(r.best.fitness));
});

Deno.test("concurrent evaluation (capacity 4, completion out of order) gives the sequential result", async () => {
  const sp = space();
  let calls = 0;
  const jittery = syntheticFitness();
  const fitness = async (t: EvalTask) => {
    await new Promise((r) => setTimeout(r, [7, 1, 4, 0][calls++ % 4]));
    return jittery(t);
  };
  const par = await runEvolution({ space: sp, evaluator: new LocalPool(fitness, 4), settings: SETTINGS });
  const seq = await runSynthetic();
  assert.deepEqual(par.best, seq.best);
  assert.deepEqual(par.history, seq.history);
});

Deno.test("non-finite and failing fitness: NaN ranks last; an evaluator error aborts the search", async () => {
  const sp = space();
  const nan = await runEvolution({
    space: sp,
    evaluator: new LocalPool(() => Promise.resolve(NaN)),
    settings: { ...SETTINGS, generations: 1 },
  });
  assert.equal(nan.best.fitness, Infinity);
  await assert.rejects(
    runEvolution({
      space: space(),
      evaluator: new LocalPool(() => Promise.reject(new Error("model fell over"))),
      settings: SETTINGS,
    }),
    /model fell over/,
  );
});

Deno.test("settings are checked", async () => {
  await assert.rejects(
    runEvolution({
      space: space(),
      evaluator: new LocalPool(syntheticFitness()),
      settings: { population: 0 },
    }),
    /population must be an integer ≥ 1/,
  );
});

Deno.test("parents: every niche (LongRoPE2's k) keeps its best, the rest go by rank", () => {
  // 20 candidates of k = 1 that all beat 4 candidates of each of k = 2 and k = 3.
  const pop = [
    ...Array.from({ length: 20 }, (_, i) => ({ k: 1, fitness: i })),
    ...Array.from({ length: 4 }, (_, i) => ({ k: 2, fitness: 100 + i })),
    ...Array.from({ length: 4 }, (_, i) => ({ k: 3, fitness: 200 + i })),
  ].map((c, order) => ({ key: `${order}`, genome: c, fitness: c.fitness, generation: 0, order }));
  const plain = selectParents(pop, 12);
  assert.deepEqual(plain.map((c) => c.genome.k), new Array(12).fill(1));
  const kept = selectParents(pop, 12, (g) => `k=${g.k}`);
  // ⌊12 / (2·3)⌋ = 2 reserved per k; the other 6 places by rank (all k = 1); ranked best first.
  assert.equal(kept.length, 12);
  assert.deepEqual(kept.map((c) => c.fitness), [0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 200, 201]);
  // More niches than places: one each, none dropped.
  const many = pop.map((c, i) => ({ ...c, genome: { k: i, fitness: c.fitness } }));
  assert.equal(selectParents(many, 4, (g) => `k=${g.k}`).length, many.length);
});

Deno.test("LongRoPE2 search: k that lose the first generation still get children later", async () => {
  const rec = recording();
  await runEvolution({ space: space(), evaluator: new LocalPool(rec.fitness), settings: SETTINGS });
  // The synthetic fitness prefers k = 30 by 1 per step away; without niches only 6 of the 12 k breed
  // after generation 0 (measured when this test was written), with them all 12 do.
  const later = new Set(
    rec.tasks.slice(SETTINGS.population).map((t) => (t.genome as Longrope2Genome).critical_index),
  );
  assert.equal(later.size, 12, `only k ∈ {${[...later].join(", ")}} got children after generation 0`);
});
