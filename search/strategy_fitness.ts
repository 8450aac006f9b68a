/**
 * Built-in fitness functions over a strategy's parameters: needle-driven perplexity (LongRoPE2's
 * fitness: loss on the answer tokens only) and plain perplexity (LongRoPE's). Documents are fixed
 * once per search (seeded), so every candidate is scored on the same tokens, and they come from a
 * slice of the text (`textRange`) that held-out evaluation can avoid.
 *
 * @module
 */
import type { LanguageModel } from "../eval/language_model.ts";
import { type Corpus, corpusSlice } from "../eval/corpus.ts";
import { NEEDLE_TEMPLATES, type NeedleDoc, needleDocs, NeedleError, scoreDocs } from "../eval/needle.ts";
import { perplexityByPosition } from "../eval/perplexity.ts";
import { buildTable, StrategyError } from "../strategies/registry.ts";
import { ParamError } from "../strategies/params.ts";
import { RopeTableError } from "../strategies/table.ts";
import type { Strategy } from "../strategies/types.ts";
import { estimate } from "../util/stats.ts";
import type { Fitness } from "./evaluator.ts";

/** What a built-in fitness measures and on which text. Plain JSON: it goes into journals and results. */
export interface FitnessSettings {
  kind: "needle" | "ppl";
  /** Document / window length: the search's target length. */
  length: number;
  /** Needle documents (one per depth 0, 1/n, …, (n−1)/n) or perplexity windows. */
  samples: number;
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

/** The needle documents a needle fitness scores: one per depth, deterministic given the settings. */
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
  const depths = Array.from({ length: settings.samples }, (_, j) => j / settings.samples);
  return needleDocs(model.tokenizer, corpus, {
    template,
    lengths: [settings.length],
    depths,
    samples: 1,
    seed: settings.dataSeed,
  });
}

/**
 * Fitness of a candidate's parameters for `strategy` (lower is better): exp(mean answer NLL) over
 * the needle documents, or perplexity over `samples` windows. `corpus` is the full text; the slice
 * is taken here.
 */
export function strategyFitness(
  model: LanguageModel,
  strategy: Strategy,
  corpus: Corpus,
  settings: FitnessSettings,
): Fitness {
  const part = corpusSlice(corpus, settings.textRange, model.tokenizer);
  const docs = settings.kind === "needle" ? searchNeedleDocs(model, part, settings) : [];
  return async ({ params }) => {
    const tableFor = (seqLen: number) =>
      buildTable(strategy, model.spec, { targetLength: settings.length, seqLen }, params);
    try {
      await tableFor(settings.length); // reject bad parameters before any model work
    } catch (e) {
      if (isTableError(e)) return { fitness: Infinity, detail: { error: (e as Error).message } };
      throw e;
    }
    if (settings.kind === "needle") {
      const nll = estimate(await scoreDocs(model, tableFor, docs));
      return { fitness: Math.exp(nll.mean), detail: { nll: nll.mean, stderr: nll.stderr } };
    }
    const r = await perplexityByPosition(model, tableFor, part, {
      length: settings.length,
      samples: settings.samples,
      seed: settings.dataSeed,
    });
    return { fitness: r.ppl, detail: { nll: r.nll.mean, stderr: r.nll.stderr } };
  };
}
