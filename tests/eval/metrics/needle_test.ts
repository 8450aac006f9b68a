import assert from "node:assert/strict";
import { needleMetric } from "../../../eval/metrics/needle.ts";
import type { MetricContext } from "../../../eval/metrics/metric.ts";
import { NEEDLE_TEMPLATES, type NeedleTemplate, type NeedleValidity } from "../../../eval/needle.ts";
import { buildTable, builtinRegistry } from "../../../mod.ts";
import { factsAndText } from "../_facts.ts";

async function context(over: Partial<MetricContext> = {}): Promise<MetricContext> {
  const { model, corpus } = await factsAndText();
  const original = (seqLen: number) => buildTable(builtinRegistry().get("default"), model.spec, { seqLen });
  return {
    model,
    corpus,
    lengths: [320],
    samples: 4,
    seed: 0,
    digits: 7,
    depths: [0],
    original,
    check: () => {},
    ...over,
  };
}

type Detail = { template: NeedleTemplate; validity: NeedleValidity };

Deno.test("needle metric: the magic number first; facts837K fails its check, so story-pet, with the reason", async () => {
  const ctx = await context({ digits: 5 });
  const p = await needleMetric.prepare(ctx);
  const detail = p.info.detail as Detail;
  assert.equal(detail.template.name, "story-pet");
  assert.equal(detail.validity.valid, true);
  assert.match(p.info.note!, /^template "story-pet", because "magic-number" \(5 digits\) is not valid: /);
  const r = await p.run({ forLength: () => ctx.original, headline: ctx.original }, "original");
  assert.equal(r.cells["320"].n, 4);
  assert.ok(r.cells["320"].scores.every((s) => s >= 0 && Number.isFinite(s)));
});

Deno.test("needle metric: a named template is used as given, its failed validity reported", async () => {
  const p = await needleMetric.prepare(await context({ template: NEEDLE_TEMPLATES["magic-number"] }));
  const detail = p.info.detail as Detail;
  assert.equal(detail.template.name, "magic-number");
  assert.equal(detail.validity.valid, false);
  assert.match(p.info.note!, /^template "magic-number": NOT valid/);
});
