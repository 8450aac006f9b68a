/**
 * The metrics compare can run, in display order. Adding a metric is one file beside this one (a
 * {@linkcode Metric}) plus its line here; `compare`, the reports, the server's options and the web page
 * all loop over this list.
 *
 * @module
 */
import type { Metric } from "./metric.ts";
import { pplMetric } from "./ppl.ts";
import { needleMetric } from "./needle.ts";
import { passkeyMetric } from "./passkey.ts";
import { petChoiceMetric } from "./pet_choice.ts";
import { shortMetric } from "./short.ts";
import { switchMetric } from "./switch.ts";
import { RopekitError } from "../../util/errors.ts";

/** Every built-in metric, in the order reports show them. */
export const METRIC_REGISTRY: readonly Metric[] = [
  pplMetric,
  needleMetric,
  passkeyMetric,
  petChoiceMetric,
  shortMetric,
  switchMetric,
];

/** The ids of {@linkcode METRIC_REGISTRY}. */
export const METRIC_IDS: readonly string[] = METRIC_REGISTRY.map((m) => m.id);

/** A metric id that no metric of the registry has. */
export class MetricError extends RopekitError {}

/**
 * The metric with this id; throws a one-line error naming the known ones.
 *
 * @example Run the perplexity metric on its own, as `compare` does for each strategy
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricById } from "./registry.ts";
 * import { loadCorpus } from "../corpus.ts";
 * import { loadModel } from "../../model/load_model.ts";
 * import { buildTable, builtinRegistry } from "../../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const registry = builtinRegistry();
 * const original = await buildTable(registry.get("default"), model.spec);
 * const yarn = await buildTable(registry.get("yarn"), model.spec, { targetLength: 512 });
 * const prepared = await metricById("ppl").prepare({
 *   model,
 *   corpus,
 *   lengths: [512],
 *   samples: 2,
 *   seed: 0,
 *   digits: 7,
 *   depths: [0],
 *   original: () => Promise.resolve(original),
 *   check() {},
 * });
 * const tables = { forLength: () => () => Promise.resolve(yarn), headline: () => Promise.resolve(yarn) };
 * const result = await prepared.run(tables, "yarn");
 * assert.equal(result.cells["512"].n, 2); // two windows scored
 * assert.throws(() => metricById("bleu"), /unknown metric "bleu"/);
 * ```
 */
export function metricById(id: string): Metric {
  const m = METRIC_REGISTRY.find((m) => m.id === id);
  if (!m) {
    throw new MetricError(`unknown metric "${id}" (known: ${METRIC_IDS.join(", ")})`, { field: "metrics" });
  }
  return m;
}
