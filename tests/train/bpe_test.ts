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
