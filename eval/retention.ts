/**
 * Short-context retention: perplexity on windows of L0 tokens with the strategy's table (its short
 * set when it has one) against the original RoPE on the very same windows. LongRoPE2 keeps 100% by
 * construction; strategies that rescale every length do not.
 *
 * @module
 */
import type { LanguageModel, TableFor } from "./language_model.ts";
import type { Corpus } from "./corpus.ts";
import { perplexityByPosition } from "./perplexity.ts";
import { resolveFrequencies } from "../strategies/table.ts";
import type { ProgressSink } from "../util/progress.ts";

/** Result of {@linkcode shortContextRetention}. */
export interface RetentionResult {
  /** Window length in tokens, BOS included. */
  length: number;
  /** Perplexity with the strategy. */
  ppl: number;
  /** Perplexity with the original RoPE on the same windows. */
  originalPpl: number;
  /** originalPpl / ppl: 1 means nothing lost (can exceed 1). */
  retention: number;
  /** True when the strategy applies exactly the original RoPE at this length (so nothing was rescored). */
  identical: boolean;
  /** Each window's mean NLL with the strategy, and with the original RoPE (same windows, same order). */
  perWindow: number[];
  /** Each window's mean NLL with the original RoPE. */
  originalPerWindow: number[];
}

/** Options of {@linkcode shortContextRetention}. */
export interface RetentionOptions {
  /** Number of windows. */
  samples: number;
  /** Seeds the window offsets. */
  seed: number;
  /** Window length (default L0). */
  length?: number;
  /** The original RoPE. */
  original: TableFor;
  /** The original's result on these windows, when already known (it is the same for every strategy). */
  originalResult?: { ppl: number; perWindow: number[] };
  /** Receives one event per scored window. */
  onProgress?: ProgressSink;
  /** Names the strategy in progress events. */
  label?: string;
}

/** Scores `samples` windows of `length` (default L0) with the strategy and the original RoPE. */
export async function shortContextRetention(
  model: LanguageModel,
  tableFor: TableFor,
  corpus: Corpus,
  opts: RetentionOptions,
): Promise<RetentionResult> {
  const length = opts.length ?? model.spec.originalContext;
  const common = { length, samples: opts.samples, seed: opts.seed, onProgress: opts.onProgress };
  const original = opts.originalResult ??
    (await perplexityByPosition(model, opts.original, corpus, { ...common, label: "short (original)" }));
  const originalPpl = original.ppl;
  const mine = resolveFrequencies(await tableFor(length), length);
  const orig = resolveFrequencies(await opts.original(length), length);
  const identical = mine.attentionScale === orig.attentionScale && mine.startTokens === 0 &&
    mine.invFreq.every((v, i) => v === orig.invFreq[i]);
  const mineResult = identical
    ? original
    : await perplexityByPosition(model, tableFor, corpus, { ...common, label: opts.label ?? "short" });
  const ppl = mineResult.ppl;
  return {
    length,
    ppl,
    originalPpl,
    retention: originalPpl / ppl,
    identical,
    perWindow: mineResult.perWindow,
    originalPerWindow: original.perWindow,
  };
}
