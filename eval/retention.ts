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
import type { ProgressSink } from "../util/progress.ts";

/** Result of {@linkcode shortContextRetention}. */
export interface RetentionResult {
  length: number;
  /** Perplexity with the strategy. */
  ppl: number;
  /** Perplexity with the original RoPE on the same windows. */
  originalPpl: number;
  /** originalPpl / ppl: 1 means nothing lost (can exceed 1). */
  retention: number;
}

/** Scores `samples` windows of `length` (default L0) with both tables. */
export async function shortContextRetention(
  model: LanguageModel,
  tableFor: TableFor,
  original: TableFor,
  corpus: Corpus,
  opts: { samples: number; seed: number; length?: number; onProgress?: ProgressSink; label?: string },
): Promise<RetentionResult> {
  const length = opts.length ?? model.spec.originalContext;
  const common = { length, samples: opts.samples, seed: opts.seed, onProgress: opts.onProgress };
  const withStrategy = await perplexityByPosition(model, tableFor, corpus, {
    ...common,
    label: opts.label ?? "short",
  });
  const withOriginal = await perplexityByPosition(model, original, corpus, {
    ...common,
    label: "short (original)",
  });
  return {
    length,
    ppl: withStrategy.ppl,
    originalPpl: withOriginal.ppl,
    retention: withOriginal.ppl / withStrategy.ppl,
  };
}
