/**
 * The GGUF writer: facts837K (llama2.c .bin, tied embeddings, GQA) written as GGUF and read back by
 * ropekit's GGUF loader gives the same config, RoPE spec and per-token NLL on the same token ids;
 * unsupported inputs fail with a clear error.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { llamaGgufBytes, placeholderVocab, writeGguf } from "../../model/gguf_writer.ts";
import { loadModel } from "../../model/load_model.ts";
import { ropeApplyFor } from "../../model/model.ts";
import { validateTable } from "../../strategies/table.ts";
import { plainRope } from "./_fixtures.ts";

const MODEL = fileURLToPath(new URL("../../models/facts837K/model.bin", import.meta.url));

Deno.test("GGUF writer: facts837K round-trips through ropekit's GGUF reader with the same NLL", async () => {
  const backend = new CpuBackend();
  const bin = await loadModel(MODEL, { backend });
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/facts837K.gguf`;
    await writeGguf(path, bin.weights, bin.spec, placeholderVocab(bin.config.vocabSize), "facts837K");
    const gguf = await loadModel(path, { backend });
    assert.equal(gguf.config.architecture, "llama");
    for (const k of ["dim", "hiddenDim", "nLayers", "nHeads", "nKvHeads", "headDim", "vocabSize"] as const) {
      assert.equal(gguf.config[k], bin.config[k], k);
    }
    assert.equal(gguf.spec.pairing, "interleaved");
    assert.equal(gguf.spec.theta, bin.spec.theta);
    assert.equal(gguf.spec.rotaryDim, bin.spec.rotaryDim);
    assert.equal(gguf.weights.classifier, gguf.weights.embedding, "tied embeddings stay tied");
    const ids = Int32Array.from({ length: 200 }, (_, i) => 3 + (i * 7919) % (bin.config.vocabSize - 3));
    const { apply } = ropeApplyFor(
      bin.spec,
      validateTable(plainRope(bin.spec.theta, bin.spec.rotaryDim), bin.spec),
      200,
    );
    assert.deepEqual(gguf.weights.layers[3].wk, bin.weights.layers[3].wk, "tensors are stored bit for bit");
    const want = await backend.forwardNll(bin.weights, ids, apply);
    const got = await backend.forwardNll(gguf.weights, ids, apply);
    // Not bit for bit: GGUF stores the RMSNorm epsilon as f32 (1e-5 becomes 9.99999975e-6).
    const worst = Math.max(...got.map((x, i) => Math.abs(x - want[i]) / Math.abs(want[i])));
    console.log(`GGUF vs .bin NLL: max rel ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GGUF writer: refuses half-rotated weights, a vocabulary of the wrong size, and tiny placeholder vocabularies", async () => {
  const m = await loadModel(MODEL, { backend: new CpuBackend() });
  const vocab = placeholderVocab(m.config.vocabSize);
  assert.throws(() => llamaGgufBytes(m.weights, { ...m.spec, pairing: "half" }, vocab), /adjacent pairs/);
  assert.throws(() => llamaGgufBytes(m.weights, m.spec, placeholderVocab(300)), /vocabulary has 300 tokens/);
  assert.throws(() => placeholderVocab(100), /≥ 259/);
});
