/**
 * Built-in fitness functions over a strategy's parameters: needle-driven perplexity (LongRoPE2's
 * fitness: loss on the answer tokens only, needle at the start of the document by default, as in the
 * paper) and plain perplexity (LongRoPE's). Documents are fixed once per search (seeded), so every
 * candidate is scored on the same tokens, and they come from a slice of the text (`textRange`) that
 * held-out evaluation can avoid. The detail of every score carries its standard error over documents.
 *
 * @module
 */
import type { LanguageModel } from "../eval/language_model.ts";
import { type Corpus, corpusSlice, sampleOffsets } from "../eval/corpus.ts";
import { NEEDLE_TEMPLATES, type NeedleDoc, needleDocs, NeedleError } from "../eval/needle.ts";
import { buildTable, StrategyError } from "../strategies/registry.ts";
import { ParamError } from "../strategies/params.ts";
import { RopeTableError } from "../strategies/table.ts";
import type { Strategy } from "../strategies/types.ts";
import { createRng } from "../util/random.ts";
import { estimate } from "../util/stats.ts";
import { type DocumentScorer, type Fitness, localScorer, type ScoreDoc } from "./evaluator.ts";

/** What a built-in fitness measures and on which text. Plain JSON: it goes into journals and results. */
export interface FitnessSettings {
  /** Needle-driven perplexity (answer tokens only) or perplexity of whole windows. */
  kind: "needle" | "ppl";
  /** Document / window length: the search's target length. */
  length: number;
  /** Needle documents per depth, or perplexity windows. */
  samples: number;
  /** Needle depths (fractions of the filler; 0 = the start, the farthest from the question). */
  depths: number[];
  /** Seed of document sampling (kept apart from the search seed so searches share documents). */
  dataSeed: number;
  /** Needle template name (NEEDLE_TEMPLATES). */
  template: string;
  /** The fraction [from, to) of the text the documents come from. */
  textRange: [number, number];
}

/** Table errors make a candidate unusable (ranked last), not the search: they are expected in param search. */
function isTableError(e: unknown): boolean {
  return e instanceof ParamError || e instanceof RopeTableError || e instanceof StrategyError;
}

/** The needle documents a needle fitness scores: `samples` per depth, deterministic given the settings. */
export function searchNeedleDocs(
  model: LanguageModel,
  corpus: Corpus,
  settings: FitnessSettings,
): NeedleDoc[] {
  const template = NEEDLE_TEMPLATES[settings.template];
  if (!template) {
    throw new NeedleError(
      `unknown needle template "${settings.template}" (known: ${Object.keys(NEEDLE_TEMPLATES).join(", ")})`,
    );
  }
  const docs = needleDocs(model.tokenizer, corpus, {
    template,
    lengths: [settings.length],
    depths: settings.depths,
    samples: settings.samples,
    seed: settings.dataSeed,
  });
  // A document runs short only when the text range holds too little filler; scoring it would measure
  // a shorter length than the search's target.
  const short = docs.find((d) => d.ids.length < 0.9 * settings.length);
  if (short) {
    throw new NeedleError(
      `text ${corpus.name} is too short for needle documents of ${settings.length} tokens ` +
        `(got one of ${short.ids.length}): widen --text-range or use a longer text`,
    );
  }
  return docs;
}

/** What a built-in fitness records beside the score: mean NLL, its standard error and the documents. */
export interface FitnessDetail {
  /** Mean NLL over the documents. */
  nll: number;
  /** Standard error of that mean. */
  stderr: number;
  /** Documents scored. */
  n: number;
  /** Each document's NLL, in document order (re-scoring keeps them, so candidates compare paired). */
  scores?: number[];
}

/**
 * The documents a fitness scores, as plain JSON: needle documents (answer tokens count) or `samples`
 * perplexity windows of `length` tokens (every token counts) from the search's part of the text.
 */
export function fitnessDocs(model: LanguageModel, part: Corpus, settings: FitnessSettings): ScoreDoc[] {
  if (settings.kind === "needle") {
    return searchNeedleDocs(model, part, settings).map((d) => ({ ids: d.ids, targets: d.answerTokens }));
  }
  const span = settings.length - 1;
  const offsets = sampleOffsets(createRng(settings.dataSeed), part.ids.length, span, settings.samples);
  return offsets.map((o) => ({ ids: [model.tokenizer.bosId, ...part.ids.subarray(o, o + span)] }));
}

/**
 * Fitness of a candidate's parameters for `strategy` (lower is better): exp(mean answer NLL) over
 * the needle documents, or exp(mean NLL) over `samples` windows (perplexity). `corpus` is the full
 * text; the slice is taken here. `scorer` runs the model (default: in this process; a queue scorer
 * sends the same documents and tables to workers, and the fitness is computed here either way).
 * `keepScores` puts each document's NLL in the detail (finalist re-scoring: paired comparisons).
 */
export function strategyFitness(
  model: LanguageModel,
  strategy: Strategy,
  corpus: Corpus,
  settings: FitnessSettings,
  scorer: DocumentScorer = localScorer(model),
  keepScores = false,
): Fitness {
  const part = corpusSlice(corpus, settings.textRange, model.tokenizer);
  const docs = fitnessDocs(model, part, settings);
  return async ({ params }) => {
    const tableFor = (seqLen: number) =>
      buildTable(strategy, model.spec, { targetLength: settings.length, seqLen }, params);
    try {
      await tableFor(settings.length); // reject bad parameters before any model work
    } catch (e) {
      if (isTableError(e)) return { fitness: Infinity, detail: { error: (e as Error).message } };
      throw e;
    }
    const scores = await scorer(tableFor, docs);
    const nll = estimate(scores);
    const detail: FitnessDetail = {
      nll: nll.mean,
      stderr: nll.stderr,
      n: nll.n,
      ...(keepScores ? { scores } : {}),
    };
    return { fitness: Math.exp(nll.mean), detail };
  };
}
