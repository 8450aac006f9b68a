/**
 * Evaluation: perplexity by position, needle-driven perplexity (with its validity check), numeric passkey
 * and pet-name retrieval, and short-context retention — each also a `Metric` of the registry in
 * `metrics/` that `compare` loops over. Every metric is deterministic given a seed and reports
 * standard errors beside its means.
 *
 * @example Perplexity by position of YaRN at 4× the trained context
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModel } from "../model/load_model.ts";
 * import { loadCorpus, perplexityByPosition } from "./mod.ts";
 * import { buildTable, builtinRegistry } from "../mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin"); // trained at L0 = 256
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const yarn = builtinRegistry().get("yarn");
 * const tableFor = (seqLen: number) => buildTable(yarn, model.spec, { targetLength: 1024, seqLen });
 * const r = await perplexityByPosition(model, tableFor, corpus, { length: 1024, samples: 2, seed: 0 });
 * assert.equal(r.buckets.length, 4); // one bucket per L0 of the window
 * console.log(r.ppl, r.buckets.map((b) => b.ppl));
 * ```
 *
 * @module
 */
export type { LanguageModel, TableFor } from "./language_model.ts";
export {
  type Corpus,
  CorpusError,
  loadCorpus,
  makeCorpus,
  normalizeText,
  sampleOffsets,
  tokenSpans,
} from "./corpus.ts";
export {
  type BucketResult,
  perplexityByPosition,
  type PerplexityOptions,
  type PerplexityResult,
} from "./perplexity.ts";
export {
  answerNll,
  buildNeedleDoc,
  checkTemplate,
  isNumeric,
  NEEDLE_TEMPLATES,
  type NeedleCell,
  type NeedleDoc,
  needleDocs,
  NeedleError,
  type NeedleOptions,
  needlePerplexity,
  type NeedleTemplate,
  type NeedleValidity,
  needleValidity,
  scoreDocs,
  type VarSpec,
  withDigits,
} from "./needle.ts";
export { answerMatches, type PasskeyCell, passkeyRetrieval, type PasskeyTrial } from "./passkey.ts";
export type {
  Metric,
  MetricCell,
  MetricContext,
  MetricInfo,
  MetricResult,
  PreparedMetric,
  StrategyTables,
} from "./metrics/metric.ts";
export { METRIC_IDS, METRIC_REGISTRY, metricById } from "./metrics/registry.ts";
export { type RetentionOptions, type RetentionResult, shortContextRetention } from "./retention.ts";
