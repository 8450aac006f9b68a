/**
 * Perplexity by position: windows of length L at random corpus offsets, scored with a strategy's
 * table; per position bucket (bucket = L0), next to the same tokens scored in windows of L0 with the
 * original RoPE — the baseline a longer context has to beat.
 *
 * @module
 */
import type { LanguageModel, TableFor } from "./language_model.ts";
import { type Corpus, sampleOffsets } from "./corpus.ts";
import { createRng } from "../util/random.ts";
import { type Estimate, estimate, mean } from "../util/stats.ts";
import type { ProgressSink } from "../util/progress.ts";

/** Options of {@linkcode perplexityByPosition}. */
export interface PerplexityOptions {
  /** Window length L, BOS included. */
  length: number;
  /** Number of windows. */
  samples: number;
  /** Seeds the choice of window offsets: the same seed scores the same tokens. */
  seed: number;
  /** Baseline window length and bucket size (default the model's L0): buckets hold bucket−1 tokens. */
  bucket?: number;
  /**
   * Score each window's tokens in consecutive chunks of this many tokens (BOS + chunk−1) instead
   * of at once: with chunk = L0 and the original RoPE this is the baseline a longer context must beat.
   */
  chunk?: number;
  /** Points of the position curve (default 64). */
  curvePoints?: number;
  /** Receives one event per scored window. */
  onProgress?: ProgressSink;
  /** Names the strategy in progress events. */
  label?: string;
}

/** One position bucket. */
export interface BucketResult {
  /** Predicted tokens [start, end): index j is the token at window position j+1. */
  start: number;
  /** End (exclusive) of the bucket's predicted tokens. */
  end: number;
  /** exp(mean NLL) of the bucket's tokens over every window. */
  ppl: number;
}

/** Result of {@linkcode perplexityByPosition}. */
export interface PerplexityResult {
  /** Window length L, BOS included. */
  length: number;
  /** Number of windows scored. */
  samples: number;
  /** exp(mean NLL over every predicted token). */
  ppl: number;
  /** Mean NLL per window, with its standard error across windows. */
  nll: Estimate;
  /** Each window's mean NLL, in the order of `offsets` (for paired comparisons). */
  perWindow: number[];
  /** The chunk size used, when scored in chunks. */
  chunk?: number;
  /** Perplexity by position: consecutive buckets of the window. */
  buckets: BucketResult[];
  /** Mean NLL by position, averaged into `curvePoints` bins: [position, nll][] . */
  curve: [number, number][];
  /** Corpus offsets of the windows (to reuse exactly the same tokens elsewhere). */
  offsets: number[];
}

/** Bins a per-position NLL sum into `points` averages. */
function curveOf(sum: Float64Array, count: number, points: number): [number, number][] {
  const out: [number, number][] = [];
  const bin = Math.max(1, Math.ceil(sum.length / points));
  for (let s = 0; s < sum.length; s += bin) {
    const e = Math.min(sum.length, s + bin);
    let acc = 0;
    for (let i = s; i < e; i++) acc += sum[i];
    out.push([(s + e - 1) / 2 + 1, acc / ((e - s) * count)]);
  }
  return out;
}

/**
 * Scores `samples` windows of `length` tokens (BOS + length−1 corpus tokens) from `corpus` with
 * `tableFor(length)`; deterministic given the seed.
 *
 * @example YaRN's 512-token windows against the same tokens scored in L0-sized chunks
 * ```ts
 * import assert from "node:assert/strict";
 * import { perplexityByPosition } from "./perplexity.ts";
 * import { loadCorpus } from "./corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 * import { buildTable, builtinRegistry } from "../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const registry = builtinRegistry();
 * const original = await buildTable(registry.get("default"), model.spec);
 * const yarn = await buildTable(registry.get("yarn"), model.spec, { targetLength: 512 });
 * const opts = { length: 512, samples: 2, seed: 7 };
 * const long = await perplexityByPosition(model, () => Promise.resolve(yarn), corpus, opts);
 * const chunked = await perplexityByPosition(model, () => Promise.resolve(original), corpus, {
 *   ...opts,
 *   chunk: model.spec.originalContext,
 * });
 * assert.deepEqual(long.offsets, chunked.offsets); // the same seed scores the same tokens
 * console.log(`yarn ${long.ppl.toFixed(3)}, L0 chunks ${chunked.ppl.toFixed(3)}`);
 * ```
 */
export async function perplexityByPosition(
  model: LanguageModel,
  tableFor: TableFor,
  corpus: Corpus,
  opts: PerplexityOptions,
): Promise<PerplexityResult> {
  const L = opts.length;
  const bucket = opts.bucket ?? model.spec.originalContext;
  const bos = model.tokenizer.bosId;
  const offsets = sampleOffsets(createRng(opts.seed), corpus.ids.length, L - 1, opts.samples);
  const predicted = L - 1;
  const chunk = Math.min(opts.chunk ?? L, L) - 1;
  const sum = new Float64Array(predicted);
  const perWindow: number[] = [];
  const task = opts.label ?? `ppl @${L}`;
  for (const [w, off] of offsets.entries()) {
    const text = Array.from(corpus.ids.subarray(off, off + predicted));
    const windowNll = new Float64Array(predicted);
    for (let s = 0; s < predicted; s += chunk) {
      const ids = [bos, ...text.slice(s, s + chunk)];
      const [nll] = (await model.nll([ids], await tableFor(ids.length))).nll;
      windowNll.set(nll, s);
    }
    for (let i = 0; i < predicted; i++) sum[i] += windowNll[i];
    perWindow.push(mean(windowNll));
    opts.onProgress?.({ task, done: w + 1, total: offsets.length });
  }
  const n = offsets.length;
  const ppl = (s: Float64Array, a: number, b: number) =>
    Math.exp(s.subarray(a, b).reduce((x, y) => x + y, 0) / ((b - a) * n));
  // Buckets follow baseline chunks of L0 (L0−1 predicted tokens each), so bucket 0 holds exactly the
  // tokens the first baseline window scores; a remainder shorter than half a bucket joins the last one.
  const width = bucket - 1;
  const buckets: BucketResult[] = [];
  for (let s = 0; s < predicted; s += width) {
    let e = Math.min(predicted, s + width);
    if (predicted - e > 0 && predicted - e < width / 2) e = predicted;
    buckets.push({ start: s, end: e, ppl: ppl(sum, s, e) });
    s = e - width;
  }
  return {
    length: L,
    samples: n,
    ppl: ppl(sum, 0, predicted),
    nll: estimate(perWindow),
    perWindow,
    ...(opts.chunk ? { chunk: opts.chunk } : {}),
    buckets,
    curve: curveOf(sum, n, opts.curvePoints ?? 64),
    offsets,
  };
}
