/**
 * ropekit — extend the context window of RoPE language models.
 *
 * Strategies (PI, NTK, dynamic NTK, YaRN, Llama 3, LongRoPE, LongRoPE2, and plugins) turn a model's
 * RoPE spec into a table of frequencies and an attention scale; kernels and the model runner consume
 * that table; evaluation and search compare and tune strategies on real models.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTable, builtinRegistry, makeSpec } from "./mod.ts";
 *
 * const spec = makeSpec({ theta: 10000, headDim: 8, originalContext: 512, pairing: "interleaved" });
 * const table = await buildTable(builtinRegistry().get("longrope2"), spec, { targetLength: 2048 });
 * assert.equal(table.invFreq.length, 4); // one inverse frequency per rotated pair
 * console.log(Array.from(table.invFreq));
 * ```
 *
 * @module
 */
export * from "./strategies/mod.ts";
export { RopekitError, type RopekitErrorOptions } from "./util/errors.ts";
export type { ProgressEvent, ProgressSink } from "./util/progress.ts";
export type { Rng } from "./util/random.ts";
export type { Estimate } from "./util/stats.ts";
