/** The search loop on cheap synthetic fitness: determinism, constraints, dedup, budgets, concurrency. */
import assert from "node:assert/strict";
import { runEvolution } from "../../search/evolution.ts";
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
