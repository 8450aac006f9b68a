/**
 * The comparison use case: strategies × metrics × lengths on one model, with paired statistics, and its
 * reports (text table, JSON, HTML, SVG charts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compare, resolveEntry, textReport } from "./mod.ts";
 * import { loadModel } from "../model/mod.ts";
 * import { loadCorpus } from "../eval/mod.ts";
 * import { builtinRegistry } from "../mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const registry = builtinRegistry();
 * const strategies = await Promise.all(["default", "yarn"].map((e) => resolveEntry(e, { registry })));
 * const report = await compare({
 *   model, modelName: "facts837K", strategies, corpus, lengths: [512], metrics: ["ppl"], samples: 2, seed: 0,
 * });
 * const text = textReport(report);
 * assert.ok(text.includes("ppl@512")); // one column per metric and length
 * console.log(text);
 * ```
 *
 * @module
 */
export * from "./compare.ts";
export type { StatisticsOptions } from "./statistics.ts";
export {
  EntryError,
  type EntryParts,
  parseEntry,
  type PluginResolver,
  type ResolvedEntry,
  resolveEntry,
} from "../entries/mod.ts";
export { charts, htmlReport, methodText, textReport, writeReport } from "./report.ts";
