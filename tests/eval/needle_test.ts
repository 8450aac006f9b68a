import assert from "node:assert/strict";
import {
  buildNeedleDoc,
  checkTemplate,
  makeCorpus,
  NEEDLE_TEMPLATES,
  needleDocs,
  tokenSpans,
} from "../../eval/mod.ts";
import type { Tokenizer } from "../../model/tokenizer.ts";
import { storiesAndText } from "./_shared.ts";

/** One token per character (BOS = 1): spans are trivial, so the span logic is checked exactly. */
const charTokenizer: Tokenizer = {
  vocabSize: 70000,
  bosId: 1,
  eosId: 2,
  encode: (text, o) => [...(o?.bos === false ? [] : [1]), ...[...text].map((c) => c.codePointAt(0)! + 3)],
  decode: (ids) => ids.filter((i) => i > 2).map((i) => String.fromCodePoint(i - 3)).join(""),
  streamDecoder: () => (id: number) => (id > 2 ? String.fromCodePoint(id - 3) : ""),
  piece: (id) => String(id),
};

const filler = Array.from({ length: 400 }, (_, i) => `Sentence number ${i} is here.`).join(" ");

Deno.test("needle doc: fits the length, answer tokens are exactly the answer, needle at the depth", () => {
  const corpus = makeCorpus("filler", filler, charTokenizer);
  const t = NEEDLE_TEMPLATES["story-pet"];
  const vars = { owner: "Lily", animal: "cat", name: "Fluffy" };
  const doc = buildNeedleDoc(charTokenizer, t, vars, corpus, 100, 600, 0.5);
  assert.ok(doc.ids.length <= 600 && doc.ids.length > 550, `length ${doc.ids.length}`);
  assert.equal(charTokenizer.decode(doc.answerTokens.map((i) => doc.ids[i])), " Fluffy");
  assert.equal(doc.answerTokens.at(-1), doc.ids.length - 1);
  assert.ok(Math.abs(doc.depth - 0.5) < 0.1, `depth ${doc.depth}`);
  assert.ok(doc.text.includes("The cat was named Fluffy."));
  const control = buildNeedleDoc(charTokenizer, t, vars, corpus, 100, 600, 0.5, false);
  assert.ok(!control.text.includes("was named Fluffy"));
  assert.ok(control.text.endsWith("The name of the cat was Fluffy"));
});

Deno.test("needle docs: deterministic given the seed, different across seeds", () => {
  const corpus = makeCorpus("filler", filler, charTokenizer);
  const o = {
    template: NEEDLE_TEMPLATES["magic-number"],
    lengths: [500],
    depths: [0, 0.9],
    samples: 2,
    seed: 3,
  };
  const a = needleDocs(charTokenizer, corpus, o);
  assert.deepEqual(a.map((d) => d.text), needleDocs(charTokenizer, corpus, o).map((d) => d.text));
  assert.notDeepEqual(
    a.map((d) => d.text),
    needleDocs(charTokenizer, corpus, { ...o, seed: 4 }).map((d) => d.text),
  );
  assert.equal(a.length, 4);
  for (const d of a) assert.match(d.answer, /^ \d{7}$/);
});

Deno.test("templates: user templates are validated with clear messages", () => {
  assert.throws(
    () => checkTemplate({ name: "x", needle: "a {v}", question: "q", answer: " {v}" }),
    /placeholder \{v\} needs vars\.v/,
  );
  assert.throws(
    () => checkTemplate({ name: "x", needle: "", question: "q", answer: "a" }),
    /"needle" must be a non-empty string/,
  );
  assert.throws(
    () => checkTemplate({ name: "x", needle: "n", question: "q", answer: " fixed" }),
    /the answer has no placeholder/,
  );
  const ok = checkTemplate({
    name: "x",
    needle: "k is {v}",
    question: "k is",
    answer: " {v}",
    vars: { v: { digits: 4 } },
  });
  assert.equal(ok.name, "x");
});

Deno.test({
  name: "needle doc: answer located by offsets in context (the test model's BPE tokenizer)",
  async fn() {
    const { model, corpus } = await storiesAndText();
    const docs = needleDocs(model.tokenizer, corpus, {
      template: NEEDLE_TEMPLATES["magic-number"],
      lengths: [512],
      depths: [0, 0.5],
      samples: 3,
      seed: 1,
    });
    for (const d of docs) {
      assert.ok(d.ids.length <= 512 && d.ids.length > 480, `length ${d.ids.length}`);
      // The answer's tokens decode to the answer (a byte-level BPE splits " 4821907" into several).
      const spans = tokenSpans(model.tokenizer, d.ids);
      const first = spans[d.answerTokens[0]][0];
      assert.equal(d.text.slice(first), d.answer.slice(d.answer.length - (d.text.length - first)));
      assert.ok(d.answerTokens.length >= 2);
    }
  },
});
