import assert from "node:assert/strict";
import { parseLlama2cCheckpoint } from "../../model/llama2c_checkpoint.ts";
import { initWeights } from "../../train/init.ts";
import { llama2cBytes } from "../../train/llama2c_writer.ts";
import { parameterList } from "../../train/params.ts";
import { tinyConfig } from "./helpers.ts";

Deno.test("llama2cBytes round-trips through parseLlama2cCheckpoint, tied and untied", () => {
  for (const tied of [true, false]) {
    const w = initWeights(tinyConfig, { seed: 3, tied });
    const { weights, seqLen } = parseLlama2cCheckpoint(llama2cBytes(w, 24), "mem");
    assert.equal(seqLen, 24);
    assert.equal(weights.classifier === weights.embedding, tied);
    const want = parameterList(w), got = parameterList(weights);
    assert.equal(got.length, want.length);
    got.forEach((a, i) => assert.deepEqual(a, want[i], `tensor ${i} (tied ${tied})`));
  }
});

Deno.test("llama2cBytes refuses what the format cannot hold", () => {
  const w = initWeights(tinyConfig, { seed: 3 });
  w.layers[0].bq = new Float32Array(16);
  assert.throws(() => llama2cBytes(w, 8), /no projection biases/);
});
