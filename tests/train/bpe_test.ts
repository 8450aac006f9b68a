import assert from "node:assert/strict";
import { parseLlama2cTokenizer } from "../../model/llama2c_tokenizer.ts";
import { trainBpe } from "../../train/bpe.ts";
import { factDocument } from "../../train/fact_corpus.ts";

const docs = Array.from({ length: 300 }, (_, i) => factDocument(5, 100_000 + i));

Deno.test("trainBpe: llama2.c layout, the written tokenizer.bin encodes identically, text round-trips", () => {
  const tok = trainBpe(docs, 600);
  assert.equal(tok.vocabSize, 600);
  const fromFile = parseLlama2cTokenizer(tok.bin, tok.vocabSize, "bpe");
  let chars = 0, tokens = 0;
  for (let i = 1000; i < 1040; i++) {
    const text = factDocument(5, 100_000 + i);
    const ids = tok.tokenizer.encode(text);
    assert.deepEqual(fromFile.encode(text), ids);
    assert.equal(ids[0], 1, "BOS first");
    assert.equal(tok.tokenizer.decode(ids), text);
    chars += text.length, tokens += ids.length;
  }
  console.log(`600 pieces: ${(chars / tokens).toFixed(2)} characters per token on held-out documents`);
  assert.ok(chars / tokens > 2.5, "merges make tokens much denser than bytes");
  // Characters not in the training text fall back to bytes and still round-trip.
  assert.equal(tok.tokenizer.decode(tok.tokenizer.encode("Zürich ☃")), "Zürich ☃");
});

Deno.test("trainBpe: digits stay single tokens and merges never cross words", () => {
  const tok = trainBpe(docs, 600);
  const ids = tok.tokenizer.encode("One of the special magic numbers for lost-key is: 4711235.", {
    bos: false,
  });
  const pieces = ids.map((i) => tok.tokenizer.decode([i]));
  assert.deepEqual(pieces.slice(-8), ["4", "7", "1", "1", "2", "3", "5", "."]);
  const vocab = Array.from({ length: tok.vocabSize }, (_, i) => tok.tokenizer.decode([i]));
  for (const p of vocab.slice(259)) {
    assert.ok(!/.\s/.test(p), `piece ${JSON.stringify(p)} spans a word boundary`);
    assert.ok(p.length === 1 || !/[0-9]/.test(p), `piece ${JSON.stringify(p)} merges a digit`);
  }
});

Deno.test("trainBpe: deterministic, and a clear error when the text cannot fill the vocabulary", () => {
  assert.deepEqual(trainBpe(docs.slice(0, 50), 400).bin, trainBpe(docs.slice(0, 50), 400).bin);
  assert.throws(() => trainBpe(["a b a b"], 300), /supports only \d+ pieces, not 300/);
});

Deno.test("trainBpe digitGroups 3: numbers split into groups of 1–3 digits (Llama 3's way), through the written file too", () => {
  const tok = trainBpe(docs, 600, 3);
  assert.equal(tok.vocabSize, 600 + 100 + 1000, "every 2- and 3-digit string is a piece");
  const fromFile = parseLlama2cTokenizer(tok.bin, tok.vocabSize, "bpe");
  let sevenDigitTokens = 0;
  for (let n = 0; n < 200; n++) {
    const number = String(1_000_000 + ((n * 7_919_993) % 9_000_000));
    const text = `One of the special magic numbers for lost-key is: ${number}.`;
    const ids = tok.tokenizer.encode(text, { bos: false });
    assert.deepEqual(fromFile.encode(text, { bos: false }), ids);
    assert.equal(tok.tokenizer.decode(ids).trimStart(), text); // the encoder's leading space
    const pieces = ids.map((i) => tok.tokenizer.decode([i]));
    const digits = pieces.filter((p) => /[0-9]/.test(p));
    for (const p of digits) assert.match(p, /^[0-9]{1,3}$/, `digit piece ${JSON.stringify(p)}`);
    assert.equal(digits.join(""), number);
    sevenDigitTokens += digits.length;
  }
  // 7 digits need at least 3 groups; greedy merging by score reaches 3 or 4.
  assert.ok(
    sevenDigitTokens / 200 >= 3 && sevenDigitTokens / 200 <= 4,
    `${sevenDigitTokens / 200} tokens per number`,
  );
  // The text pieces are the same as without digit groups: groups are added after every merge.
  const plain = trainBpe(docs, 600).tokenizer;
  assert.deepEqual(
    Array.from({ length: 600 }, (_, i) => tok.tokenizer.decode([i])),
    Array.from({ length: 600 }, (_, i) => plain.decode([i])),
  );
});
