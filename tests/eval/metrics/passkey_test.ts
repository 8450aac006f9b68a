import assert from "node:assert/strict";
import { answerMatches } from "../../../eval/passkey.ts";
import { passkeyMetric } from "../../../eval/metrics/passkey.ts";
import type { MetricContext } from "../../../eval/metrics/metric.ts";
import type { LanguageModel } from "../../../eval/language_model.ts";
import { buildTable, builtinRegistry } from "../../../mod.ts";
import { factsAndText } from "../_facts.ts";

Deno.test("passkey match: every digit, no digit missing or added", () => {
  assert.equal(answerMatches(" 4821907", " 4821907", true), true);
  assert.equal(answerMatches(" 4821907", "4821907.\nThe", true), true); // punctuation may follow
  assert.equal(answerMatches(" 4821907", " 4821901", true), false); // one wrong digit
  assert.equal(answerMatches(" 4821907", " 482190", true), false); // one missing
  assert.equal(answerMatches(" 4821907", " 48219071", true), false); // one extra
  assert.equal(answerMatches(" 4821907", " the 4821907", true), false); // must come first
  // Word answers (pet-choice) keep whole-word matching.
  assert.equal(answerMatches(" Spot", " Spot.", false), true);
  assert.equal(answerMatches(" Spot", " Spotty", false), false);
});

/**
 * facts837K's tokenizer and spec with a stand-in generator: it reads the pass key from the prompt and
 * answers with `answer(key)`, so the metric's whole path (template, digits, documents, greedy decoding
 * budget, exact match) runs on a known outcome.
 */
async function stub(answer: (key: string) => string): Promise<MetricContext> {
  const { model, corpus } = await factsAndText();
  const tok = model.tokenizer;
  const lm: LanguageModel = {
    spec: model.spec,
    tokenizer: tok,
    nll: () => Promise.reject(new Error("not used")),
    generate: (prompt, _table, maxTokens) => {
      const key = tok.decode(prompt).match(/The pass key is (\d+)\./)![1];
      const ids = tok.encode(answer(key), { bos: false });
      // tok768 prefixes a space token; the prompt already ends with the space before the answer.
      const body = tok.piece(ids[0]) === " " ? ids.slice(1) : ids;
      return Promise.resolve(body.slice(0, maxTokens));
    },
  };
  const original = (seqLen: number) => buildTable(builtinRegistry().get("default"), model.spec, { seqLen });
  return {
    model: lm,
    corpus,
    lengths: [300, 400],
    samples: 4,
    seed: 3,
    digits: 7,
    depths: [0, 0.5],
    original,
    check: () => {},
  };
}

async function accuracy(ctx: MetricContext) {
  const prepared = await passkeyMetric.prepare(ctx);
  const r = await prepared.run({ forLength: () => ctx.original, headline: ctx.original }, "stub");
  return { prepared, r };
}

Deno.test("passkey metric: the right digits score 1 on every document, at every length and depth", async () => {
  const { prepared, r } = await accuracy(await stub((key) => key));
  assert.deepEqual(Object.keys(r.cells), ["300", "400"]);
  for (const cell of Object.values(r.cells)) {
    assert.deepEqual(cell.scores, [1, 1, 1, 1]);
    assert.equal(cell.value, 1);
  }
  const trials = (r.detail as { trials: { expected: string }[] }).trials;
  assert.equal(trials.length, 8);
  for (const t of trials) assert.match(t.expected, /^\d{7}$/);
  assert.match(prepared.info.note!, /7-digit pass key/);
  assert.equal(prepared.info.better, "higher");
});

Deno.test("passkey metric: a wrong, a missing or an extra digit scores 0", async () => {
  const variants: [string, (k: string) => string][] = [
    ["wrong last digit", (k) => k.slice(0, -1) + String((Number(k.at(-1)) + 1) % 10)],
    ["missing digit", (k) => k.slice(0, -1)],
    ["extra digit", (k) => k + "3"],
  ];
  for (const [what, answer] of variants) {
    const { r } = await accuracy(await stub(answer));
    for (const cell of Object.values(r.cells)) assert.deepEqual(cell.scores, [0, 0, 0, 0], what);
  }
});

Deno.test("passkey metric: --digits sets the key's length", async () => {
  const ctx = { ...(await stub((k) => k)), digits: 5, lengths: [300] };
  const { r } = await accuracy(ctx);
  const trials = (r.detail as { trials: { expected: string; correct: boolean }[] }).trials;
  for (const t of trials) assert.match(t.expected, /^\d{5}$/);
  assert.ok(trials.every((t) => t.correct));
});
