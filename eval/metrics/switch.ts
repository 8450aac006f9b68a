/**
 * `switch`: LongRoPE's short→long switch under a KV cache. Documents of 2·L0 tokens are decoded with
 * the cache from a prompt within L0 across the switch, under four policies (`eval/kv_switch.ts`): keep
 * the cache and switch, re-prefill at the switch (transformers), the long set from the start (vLLM),
 * re-rotate the cached keys in place. Score: each document's mean NLL of the tokens after the crossing
 * (nats/token, lower is better), one column per policy; the column shows exp(mean). Strategies without
 * short and long sets, and models that are not run here (no KV cache to read), are skipped.
 *
 * @module
 */
import { Model } from "../../model/model.ts";
import { measureSwitch, SWITCH_POLICIES } from "../kv_switch.ts";
import { type Metric, type MetricCell, summarise } from "./metric.ts";

/** The KV-cache switch. */
export const switchMetric: Metric = {
  id: "switch",
  description:
    "LongRoPE's short→long switch under a KV cache: ppl after the crossing, per policy (lower is better)",
  options: ["samples"],
  prepare(ctx) {
    const length = 2 * ctx.model.spec.originalContext;
    return Promise.resolve({
      info: {
        id: "switch",
        description: switchMetric.description,
        better: "lower",
        scale: "exp",
        percent: false,
        scoreUnit: "mean NLL after the crossing per document, nats/token",
        columns: SWITCH_POLICIES.map((p) => ({ key: p, length, header: `switch:${p}@${length}` })),
        note: "keep = cached keys stay rotated with the short set; reprefill = recompute the cache " +
          "at the switch (transformers); long-from-start = long set for every position (vLLM); rerotate = " +
          "turn the cached keys to the long set in place",
      },
      async run(tables, label) {
        ctx.check();
        const table = await tables.headline(length);
        if (!table.short) return { cells: {}, detail: { skipped: "no short and long sets" } };
        if (!(ctx.model instanceof Model)) return { cells: {}, detail: { skipped: "needs a local model" } };
        ctx.onProgress?.({ task: `switch ${label}`, done: 0, total: 1 });
        const r = await measureSwitch(ctx.model, table, ctx.corpus.ids, { length, documents: ctx.samples });
        const cells: Record<string, MetricCell> = {};
        for (const p of r.policies) cells[p.policy] = summarise(p.perDocumentAfter, "exp");
        const policies = r.policies.map(({ perDocumentAfter: _, ...rest }) => rest);
        return { cells, detail: { ...r, policies } };
      },
    });
  },
};
