import assert from "node:assert/strict";
import {
  NEEDLE_TEMPLATES,
  needleValidity,
  perplexityByPosition,
  shortContextRetention,
} from "../../eval/mod.ts";
import { buildTable, builtinRegistry } from "../../mod.ts";
import { storiesAndText } from "./_shared.ts";

const reg = builtinRegistry();

Deno.test({
  name: "perplexity by position: L0-window baseline equals the long window on bucket 0 (plain RoPE)",
  async fn() {
    const { model, corpus } = await storiesAndText();
    const original = (seqLen: number) => buildTable(reg.get("default"), model.spec, { seqLen });
    // Two buckets of the model's trained context L0 (512 for stories260K, 256 for facts837K).
    const L0 = model.spec.originalContext;
    const opts = { length: 2 * L0, samples: 2, seed: 5 };
    const long = await perplexityByPosition(model, original, corpus, opts);
    const base = await perplexityByPosition(model, original, corpus, { ...opts, chunk: L0 });
    assert.deepEqual(long.offsets, base.offsets);
    assert.equal(long.buckets.length, 2);
    // Identical tokens, context and RoPE in bucket 0: equal up to float32 summation order.
    assert.ok(Math.abs(long.buckets[0].ppl / base.buckets[0].ppl - 1) < 1e-6);
    assert.notEqual(long.buckets[1].ppl, base.buckets[1].ppl);
    console.log(
      `ppl@${2 * L0} ${long.ppl.toFixed(3)} vs L0 windows ${base.ppl.toFixed(3)}; buckets`,
      long.buckets,
    );
    const again = await perplexityByPosition(model, original, corpus, opts);
    assert.equal(again.ppl, long.ppl);
    assert.ok(long.nll.stderr > 0 && long.curve.length > 10);
  },
});

Deno.test({
  name: "needle validity: the test model uses the story-pet needle inside its window, not a shuffled one",
  async fn() {
    const { model, corpus } = await storiesAndText();
    const original = (seqLen: number) => buildTable(reg.get("default"), model.spec, { seqLen });
    const v = await needleValidity(model, original, corpus, {
      template: NEEDLE_TEMPLATES["story-pet"],
      length: 256,
      depth: 0,
      samples: 12,
      seed: 1,
    });
    console.log(v.message);
    assert.ok(v.valid);
    assert.ok(v.withNeedle.mean < v.withoutNeedle.mean);
  },
});

Deno.test({
  name: "short-context retention: LongRoPE2 keeps the original RoPE exactly, PI does not",
  async fn() {
    const { model, corpus } = await storiesAndText();
    const forStrategy = (name: string) => (seqLen: number) =>
      buildTable(reg.get(name), model.spec, { targetLength: 2048, seqLen });
    const original = forStrategy("default");
    const o = { samples: 2, seed: 9, original, length: 256 };
    const lr2 = await shortContextRetention(model, forStrategy("longrope2"), corpus, o);
    assert.equal(lr2.identical, true);
    assert.equal(lr2.retention, 1);
    const pi = await shortContextRetention(model, forStrategy("pi"), corpus, {
      ...o,
      originalPpl: lr2.originalPpl,
    });
    assert.equal(pi.identical, false);
    assert.ok(pi.retention < 0.9, `PI retention ${pi.retention}`);
  },
});
