/** Built-in fitness on the in-repo default model: documents come from the search's part of the text only; bad params rank last. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import { corpusSlice, loadCorpus } from "../../eval/corpus.ts";
import { builtinRegistry } from "../../strategies/registry.ts";
import { NEEDLE_TEMPLATES } from "../../eval/needle.ts";
import { BudgetError, parseBudget } from "../../search/budget.ts";
import { type FitnessSettings, searchNeedleDocs, strategyFitness } from "../../search/strategy_fitness.ts";

const root = new URL("../../", import.meta.url).pathname;
const modelPath = join(root, "models/facts837K/model.bin");
const textPath = join(root, "models/facts837K/eval.txt");

const SETTINGS: FitnessSettings = {
  kind: "needle",
  length: 768,
  samples: 1,
  depths: [0, 0.25, 0.5, 0.75],
  dataSeed: 0,
  template: "magic-number",
  textRange: [0.5, 1],
};

Deno.test({
  name: "needle documents of a search come from its text range, never from the held-out part",
  fn: async () => {
    const model = await loadModel(modelPath);
    const corpus = await loadCorpus(textPath, model.tokenizer);
    const part = corpusSlice(corpus, [0.5, 1], model.tokenizer);
    const heldOut = corpusSlice(corpus, [0, 0.5], model.tokenizer);
    assert.equal(heldOut.text.length + part.text.length + 1, corpus.text.length); // cut at one newline
    assert.ok(corpus.text.endsWith(part.text) && part.text.length < corpus.text.length * 0.51);
    const docs = searchNeedleDocs(model, part, SETTINGS);
    assert.deepEqual(docs.map((d) => d.requestedDepth), [0, 0.25, 0.5, 0.75]);
    const intro = NEEDLE_TEMPLATES["magic-number"].intro ?? "";
    for (const d of docs.slice(1)) {
      const filler = d.text.slice(intro.length, intro.length + 400); // long: the filler sentences repeat
      assert.ok(part.text.includes(filler) && !heldOut.text.includes(filler), filler);
    }
    // `samples` documents per depth: 3 at the start only (the search's default shape).
    const atStart = searchNeedleDocs(model, part, { ...SETTINGS, samples: 3, depths: [0] });
    assert.deepEqual(atStart.map((d) => d.requestedDepth), [0, 0, 0]);
    assert.equal(new Set(atStart.map((d) => d.answer)).size, 3);
    for (const d of atStart) assert.ok(d.ids.length > 0.9 * 768 && /^ \d{7}$/.test(d.answer), d.answer);
    // A range too small for the length is refused rather than scored at a shorter length.
    const tiny = corpusSlice(corpus, [0.99, 1], model.tokenizer);
    assert.throws(
      () => searchNeedleDocs(model, tiny, SETTINGS),
      /too short for needle documents of 768 tokens/,
    );
    assert.throws(() => corpusSlice(corpus, [0.6, 0.4], model.tokenizer), /0 ≤ from < to ≤ 1/);
    assert.throws(
      () => searchNeedleDocs(model, part, { ...SETTINGS, template: "nope" }),
      /unknown needle template/,
    );
  },
});

Deno.test({
  name: "fitness: parameters the strategy rejects score +Infinity with the reason, without model work",
  fn: async () => {
    const model = await loadModel(modelPath);
    const corpus = await loadCorpus(textPath, model.tokenizer);
    const fitness = strategyFitness(model, builtinRegistry().get("longrope2"), corpus, SETTINGS);
    const out = await fitness({ key: "x", genome: null, params: { critical_index: 16 } });
    assert.equal(typeof out, "object");
    const o = out as { fitness: number; detail: { error: string } };
    assert.equal(o.fitness, Infinity);
    assert.match(o.detail.error, /critical_index/);
  },
});

Deno.test("budgets: evaluations or time", () => {
  assert.deepEqual(parseBudget("500"), { evaluations: 500 });
  assert.deepEqual(parseBudget("30m"), { seconds: 1800 });
  assert.deepEqual(parseBudget("1.5h"), { seconds: 5400 });
  assert.deepEqual(parseBudget("90s"), { seconds: 90 });
  for (const bad of ["", "0", "-5", "2.5", "10d", "m"]) {
    assert.throws(() => parseBudget(bad), BudgetError, bad);
  }
});
