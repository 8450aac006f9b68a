/**
 * Greedy generation with the KV cache equals recomputing every step from scratch, including when a
 * LongRoPE-style table switches from short to long frequencies mid-generation.
 */
import assert from "node:assert/strict";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { Model, ropeApplyFor } from "../../model/model.ts";
import { UnsupportedTokenizer } from "../../model/unsupported_tokenizer.ts";
import type { RopeSpec, RopeTable } from "../../strategies/types.ts";
import { plainRope, randomWeights, smallConfig } from "./_fixtures.ts";

const spec: RopeSpec = {
  theta: 10000,
  headDim: 8,
  rotaryDim: 8,
  originalContext: 12,
  maxPositions: 48,
  pairing: "half",
};
// Eos/bos outside the vocabulary so random weights never stop early.
const weights = randomWeights(smallConfig({ bosId: 98, eosId: 99, vocabSize: 40 }), 5);
const backend = new CpuBackend();
const model = new Model(weights, spec, new UnsupportedTokenizer("no text here"), backend, "random");

/** Greedy decoding without a cache: each step runs the whole sequence with its own short/long choice. */
async function naiveGreedy(prompt: number[], table: RopeTable, n: number): Promise<number[]> {
  const ids = [...prompt];
  for (let i = 0; i < n; i++) {
    const cache = backend.createCache(weights, ids.length);
    const logits = await backend.forwardStep(
      weights,
      cache,
      Int32Array.from(ids),
      ropeApplyFor(spec, table, ids.length).apply,
    );
    ids.push(logits.indexOf(Math.max(...logits)));
  }
  return ids.slice(prompt.length);
}

Deno.test("KV-cache greedy decoding equals full recomputation", async () => {
  const table = plainRope(10000, 8);
  assert.deepEqual(await model.generate([1, 5, 7], table, 20), await naiveGreedy([1, 5, 7], table, 20));
});

Deno.test("crossing switchLength recomputes the cache with the long frequencies", async () => {
  const long = plainRope(10000, 8, 1.2);
  const table: RopeTable = {
    ...long,
    invFreq: long.invFreq.map((f) => f / 4),
    short: { invFreq: long.invFreq, attentionScale: 1 },
    switchLength: 12,
  };
  const prompt = [1, 5, 7, 9, 3];
  const got = await model.generate(prompt, table, 20);
  assert.deepEqual(got, await naiveGreedy(prompt, table, 20));
  // Never recomputing would keep short-frequency keys for positions 0..11: a different model.
  assert.notDeepEqual(got, await naiveGreedy(prompt, { ...table, switchLength: 1000 }, 20));
});

Deno.test("out-of-vocabulary ids and bad tables are rejected with the reason", async () => {
  await assert.rejects(model.nll([[1, 2, 400]], plainRope(10000, 8)), /window 0: token 2 is 400/);
  await assert.rejects(model.nll([[1, 2]], plainRope(10000, 6)), /rotaryDim/);
});
