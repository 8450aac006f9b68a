/** Golden checks on the real stories260K model (shared/models/README.md gives the values). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import { plainRope, stories260K } from "./_fixtures.ts";

const dir = stories260K();
const GOLDEN_TEXT =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. " +
  "One day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily";
const GOLDEN_SENTENCE = "One day, a clever fox found a shiny key under the old oak tree.";

for (const file of ["stories260K.bin", "stories260K.gguf"]) {
  Deno.test({
    name: `stories260K ${file}: greedy 60 tokens from "Once upon a time" give the README's text`,
    ignore: dir === null,
    fn: async () => {
      const m = await loadModel(join(dir!, file));
      const prompt = m.tokenizer.encode("Once upon a time");
      assert.deepEqual(prompt, [1, 403, 407, 261, 378]);
      const streamed: number[] = [];
      const out = await m.generate(prompt, plainRope(10000, 8), 60, (id) => streamed.push(id));
      assert.equal(out.length, 60);
      assert.deepEqual(streamed, out);
      assert.equal(m.tokenizer.decode([...prompt, ...out]), GOLDEN_TEXT);
    },
  });

  Deno.test({
    name: `stories260K ${file}: NLL of the golden sentence is 54.4041 over 34 tokens`,
    ignore: dir === null,
    fn: async () => {
      const m = await loadModel(join(dir!, file));
      const ids = m.tokenizer.encode(GOLDEN_SENTENCE);
      assert.equal(ids.length, 35);
      const { nll } = await m.nll([ids], plainRope(10000, 8));
      assert.equal(nll[0].length, 34);
      const total = nll[0].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total / 54.4041 - 1) < 1e-4, `NLL ${total}`);
    },
  });
}

Deno.test({
  name: "stories260K: spec comes from the files; L0 is 512 in the .bin, 2048 in the GGUF unless overridden",
  ignore: dir === null,
  fn: async () => {
    const bin = await loadModel(join(dir!, "stories260K.bin"));
    assert.deepEqual(bin.spec, {
      theta: 10000,
      headDim: 8,
      rotaryDim: 8,
      originalContext: 512,
      maxPositions: 512,
      pairing: "interleaved",
    });
    const gguf = await loadModel(join(dir!, "stories260K.gguf"));
    assert.equal(gguf.spec.originalContext, 2048);
    assert.equal(gguf.spec.pairing, "interleaved");
    const fixed = await loadModel(join(dir!, "stories260K.gguf"), { spec: { originalContext: 512 } });
    assert.equal(fixed.spec.originalContext, 512);
    await assert.rejects(
      loadModel(join(dir!, "stories260K.gguf"), { spec: { rotaryDim: 7 } }),
      /rotaryDim = 7/,
    );
  },
});
