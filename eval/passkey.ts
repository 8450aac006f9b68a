/**
 * Retrieval by generation: the needle documents again, but the model must *generate* the answer. Greedy
 * decoding from the prompt (the document up to the answer), exact match of the generated text against
 * the answer, over depths × lengths. A numeric answer (a pass key) must match in every digit, with no
 * digit missing or added; a word answer must match as a whole word.
 *
 * @module
 */
import type { LanguageModel, TableFor } from "./language_model.ts";
import type { Corpus } from "./corpus.ts";
import { isNumeric, needleDocs, type NeedleOptions } from "./needle.ts";
import { type Estimate, estimate } from "../util/stats.ts";

/** Accuracy at one (length, depth). */
export interface PasskeyCell {
  /** Document length in tokens, BOS included. */
  length: number;
  /** Where the passkey sits: the fraction of the filler before it. */
  depth: number;
  /** Fraction of exact matches, with its standard error. */
  accuracy: Estimate;
}

/** One document's outcome, for reports. */
export interface PasskeyTrial {
  /** Document length in tokens, BOS included. */
  length: number;
  /** Where the passkey sat: the fraction of the filler before it. */
  depth: number;
  /** The passkey as written in the document. */
  expected: string;
  /** What greedy decoding produced after the question. */
  generated: string;
  /** Whether `generated` gives `expected` ({@linkcode answerMatches}). */
  correct: boolean;
}

/**
 * Whether `generated` (the continuation's text) gives `expected`: for a number, the leading run of
 * digits equals it exactly; for words, it starts with them and no letter or digit follows.
 */
export function answerMatches(expected: string, generated: string, numeric: boolean): boolean {
  const want = expected.trim(), got = generated.trimStart();
  if (numeric) return (got.match(/^\d+/)?.[0] ?? "") === want;
  return got.startsWith(want) && !/^[\p{L}\p{N}]/u.test(got.slice(want.length));
}

/**
 * Runs passkey retrieval: for each needle document, greedy-decode as many tokens as the answer
 * has (plus one) and compare the text with the answer (surrounding spaces ignored).
 *
 * @example Can the model say the pet's name, within its trained context?
 * ```ts
 * import assert from "node:assert/strict";
 * import { passkeyRetrieval } from "./passkey.ts";
 * import { NEEDLE_TEMPLATES } from "./needle.ts";
 * import { loadCorpus } from "./corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 * import { buildTable, builtinRegistry } from "../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const table = await buildTable(builtinRegistry().get("default"), model.spec);
 * const r = await passkeyRetrieval(model, () => Promise.resolve(table), corpus, {
 *   template: NEEDLE_TEMPLATES["story-pet"],
 *   lengths: [256],
 *   depths: [0],
 *   samples: 3,
 *   seed: 0,
 * });
 * assert.equal(r.trials.length, 3);
 * assert.ok(r.accuracy.mean > 0); // within L0 this model does retrieve names
 * console.log(r.trials.map((t) => `${t.expected} → ${JSON.stringify(t.generated)}`));
 * ```
 */
export async function passkeyRetrieval(
  model: LanguageModel,
  tableFor: TableFor,
  corpus: Corpus,
  opts: NeedleOptions,
): Promise<{ cells: PasskeyCell[]; accuracy: Estimate; trials: PasskeyTrial[] }> {
  const docs = needleDocs(model.tokenizer, corpus, opts);
  const numeric = isNumeric(opts.template);
  const trials: PasskeyTrial[] = [];
  for (const [i, doc] of docs.entries()) {
    const promptIds = doc.ids.slice(0, doc.answerTokens[0]);
    const table = await tableFor(doc.ids.length);
    const out = await model.generate(promptIds, table, doc.answerTokens.length + 1);
    // Decode prompt + continuation and cut at the prompt's text, so a leading space survives.
    const full = model.tokenizer.decode([...promptIds, ...out]);
    const prompt = model.tokenizer.decode(promptIds);
    const generated = full.slice(prompt.length);
    const expected = doc.answer.trim();
    const correct = answerMatches(expected, generated, numeric);
    trials.push({ length: doc.targetLength, depth: doc.requestedDepth, expected, generated, correct });
    opts.onProgress?.({ task: opts.label ?? "passkey", done: i + 1, total: docs.length });
  }
  const cells: PasskeyCell[] = [];
  for (const length of opts.lengths) {
    for (const depth of opts.depths) {
      const hits = trials.filter((t) => t.length === length && t.depth === depth).map((
        t,
      ) => (t.correct ? 1 : 0));
      cells.push({ length, depth, accuracy: estimate(hits) });
    }
  }
  return { cells, accuracy: estimate(trials.map((t) => (t.correct ? 1 : 0))), trials };
}
