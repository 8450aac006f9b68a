import assert from "node:assert/strict";
import { byteTokenizer } from "../../train/byte_tokenizer.ts";
import { DocumentStream, makeWindow } from "../../train/data.ts";
import { story } from "../../train/story_corpus.ts";
import { tinyLongRope, tinyOptions, tinyRope, tinyTrainer } from "./helpers.ts";

const docs = [[1, 10, 11, 12], [1, 20], [1, 30, 31, 32, 33, 34]].map((d) => Int32Array.from(d));

Deno.test("windows are consecutive, overlap by one token, cross documents, and resume from a position", () => {
  const s = new DocumentStream((i) => docs[i % docs.length]);
  assert.deepEqual(Array.from(s.next(4)), [1, 10, 11, 12, 1]);
  assert.deepEqual(s.position, { doc: 1, offset: 0 });
  assert.deepEqual(Array.from(s.next(4)), [1, 20, 1, 30, 31]);
  const resumed = new DocumentStream((i) => docs[i % docs.length]);
  resumed.position = { ...s.position };
  assert.deepEqual(Array.from(resumed.next(5)), Array.from(s.next(5)));
});

Deno.test("whole documents: every window starts at a BOS, a cut tail is dropped, and it resumes", () => {
  const s = new DocumentStream((i) => docs[i % docs.length], { wholeDocs: true });
  // [1 10 11 12] + the BOS of [1 20]: that BOS alone fit, so the next window starts on it.
  assert.deepEqual(Array.from(s.next(4)), [1, 10, 11, 12, 1]);
  assert.deepEqual(s.position, { doc: 1, offset: 0 });
  // [1 20] + [1 30 31] cut: the tail [32 33 34] is dropped, the next window opens document 3.
  assert.deepEqual(Array.from(s.next(4)), [1, 20, 1, 30, 31]);
  assert.deepEqual(s.position, { doc: 3, offset: 0 });
  const resumed = new DocumentStream((i) => docs[i % docs.length], { wholeDocs: true });
  resumed.position = { ...s.position };
  const a = Array.from(s.next(3)), b = Array.from(resumed.next(3));
  assert.deepEqual(a, b);
  assert.deepEqual(a, [1, 10, 11, 12]);
  // A document longer than a window: its first T + 1 tokens, then the next document.
  const long = new DocumentStream((i) => i === 0 ? Int32Array.from([1, 2, 3, 4, 5, 6, 7]) : docs[1], {
    wholeDocs: true,
  });
  assert.deepEqual(Array.from(long.next(3)), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(long.next(3)), [1, 20, 1, 20]);
});

Deno.test("document masks: starts at each BOS, positions restart", () => {
  const w = makeWindow(Int32Array.from([7, 8, 1, 5, 6, 1, 9]), tinyRope, 1, true);
  assert.deepEqual(Array.from(w.docStarts!), [0, 2, 5]);
  assert.deepEqual(Array.from(w.rope.positions!), [0, 1, 0, 1, 2, 0]);
  assert.equal(makeWindow(Int32Array.from([1, 2, 3]), tinyRope, 1, false).docStarts, undefined);
});

Deno.test("stories are reproducible, state facts early and ask for them at the end", () => {
  assert.equal(story(3, 5), story(3, 5));
  assert.notEqual(story(3, 5), story(3, 6));
  const text = story(3, 5, { minFiller: 10, maxFiller: 10 });
  const fact = /called (\w+) and a (\w+) (\w+)\./.exec(text)!;
  assert.ok(text.endsWith(`The ${fact[3]} was ${fact[2]}.`), text);
  assert.ok(text.includes(`was called ${fact[1]}.`));
  const tok = byteTokenizer();
  const ids = tok.encode(text);
  assert.equal(ids[0], 1);
  assert.equal(tok.decode(ids), text);
});

Deno.test("a mixed micro-batch: masked short windows under the original RoPE, then full-attention long ones", () => {
  const windows = tinyTrainer(true).microBatch();
  assert.equal(windows.length, tinyOptions.batchSize + 1);
  for (const w of windows.slice(0, -1)) {
    assert.equal(w.tokens.length, tinyOptions.seqLen + 1);
    assert.ok(w.docStarts && w.rope.positions);
    assert.equal(w.rope.invFreq, tinyRope.invFreq);
  }
  const long = windows.at(-1)!;
  assert.equal(long.tokens.length, 41);
  assert.equal(long.docStarts, undefined);
  assert.equal(long.rope, tinyLongRope);
});

Deno.test("recall corpus: --drill-docs sets how many documents at the start are mostly copy drills", async () => {
  const { sourceDocuments } = await import("../../train/data_source.ts");
  const tok = { tokenizer: byteTokenizer(), vocabSize: 259, bin: new Uint8Array() };
  const drills = async (drillDocs: number | undefined) => {
    const { docAt } = await sourceDocuments(
      { data: null, corpus: "recall", seed: 3, filler: [0, 20], tokenizer: null, drillDocs },
      tok as never,
    );
    let n = 0;
    for (let i = 8000; i < 8100; i++) {
      n += tok.tokenizer.decode([...docAt(i)]).includes("read out a line") ? 1 : 0;
    }
    return n;
  };
  // Past the default curriculum (8,000 documents) about 40% are drills; inside a longer one about 95%.
  const [plain, longer] = [await drills(undefined), await drills(20_000)];
  assert.ok(
    plain > 20 && plain < 65 && longer > 85,
    `drills among documents 8000–8099: ${plain} by default, ${longer} with 20,000`,
  );
});
