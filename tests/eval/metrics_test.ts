import assert from "node:assert/strict";
import {
  NEEDLE_TEMPLATES,
  needleValidity,
  perplexityByPosition,
  shortContextRetention,
} from "../../eval/mod.ts";
import { buildTable, builtinRegistry } from "../../mod.ts";
import { factsAndText } from "./_facts.ts";

const reg = builtinRegistry();

Deno.test({
  name: "perplexity by position: L0-window baseline equals the long window on bucket 0 (plain RoPE)",
  async fn() {
    const { model, corpus } = await factsAndText();
    const original = (seqLen: number) => buildTable(reg.get("default"), model.spec, { seqLen });
    const opts = { length: 512, samples: 2, seed: 5 };
    const long = await perplexityByPosition(model, original, corpus, opts);
    const base = await perplexityByPosition(model, original, corpus, { ...opts, chunk: 256 });
    assert.deepEqual(long.offsets, base.offsets);
    assert.equal(long.buckets.length, 2);
    // Identical tokens, context and RoPE in bucket 0: equal up to float32 summation order.
    assert.ok(Math.abs(long.buckets[0].ppl / base.buckets[0].ppl - 1) < 1e-6);
    assert.notEqual(long.buckets[1].ppl, base.buckets[1].ppl);
    console.log(
      `ppl@512 ${long.ppl.toFixed(3)} vs L0 windows ${base.ppl.toFixed(3)}; buckets`,
      long.buckets,
    );
    const again = await perplexityByPosition(model, original, corpus, opts);
    assert.equal(again.ppl, long.ppl);
    assert.ok(long.nll.stderr > 0 && long.curve.length > 10);
    // Per-window scores (what paired comparisons use): equal windows, so their mean is the token mean.
    assert.equal(long.perWindow.length, 2);
    const meanNll = (long.perWindow[0] + long.perWindow[1]) / 2;
    assert.ok(Math.abs(Math.exp(meanNll) / long.ppl - 1) < 1e-9);
  },
});

Deno.test({
  name: "needle validity: facts837K uses the story-pet needle inside its window, not the magic number",
  async fn() {
    const { model, corpus } = await factsAndText();
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
    // It was trained on 7-digit magic numbers but never learned them (models/facts837K/README.md): the
    // check must say so, which is what sends the needle metric back to story-pet for this model.
    const magic = await needleValidity(model, original, corpus, {
      template: NEEDLE_TEMPLATES["magic-number"],
      length: 256,
      depth: 0,
      samples: 12,
      seed: 1,
    });
    console.log(magic.message);
    assert.equal(magic.valid, false);
  },
});

Deno.test({
  name: "short-context retention: LongRoPE2 keeps the original RoPE exactly, PI does not",
  async fn() {
    const { model, corpus } = await factsAndText();
    const forStrategy = (name: string) => (seqLen: number) =>
      buildTable(reg.get(name), model.spec, { targetLength: 1024, seqLen });
    const original = forStrategy("default");
    const o = { samples: 2, seed: 9, original, length: 256 };
    const lr2 = await shortContextRetention(model, forStrategy("longrope2"), corpus, o);
    assert.equal(lr2.identical, true);
    assert.equal(lr2.retention, 1);
    assert.deepEqual(lr2.perWindow, lr2.originalPerWindow);
    const pi = await shortContextRetention(model, forStrategy("pi"), corpus, {
      ...o,
      originalResult: { ppl: lr2.originalPpl, perWindow: lr2.originalPerWindow },
    });
    assert.equal(pi.identical, false);
    assert.equal(pi.perWindow.length, 2);
    assert.notDeepEqual(pi.perWindow, lr2.originalPerWindow);
    assert.ok(pi.retention < 0.9, `PI retention ${pi.retention}`);
  },
});
