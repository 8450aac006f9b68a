/** ropekit's in-repo default model (models/facts837K) and its eval.txt, loaded once per process; compare on it. */
import { loadModel } from "../../model/load_model.ts";
import type { Model } from "../../model/model.ts";
import { type Corpus, loadCorpus } from "../../eval/corpus.ts";
import { compare, type CompareOptions, type CompareReport } from "../../compare/compare.ts";
import { builtinRegistry } from "../../strategies/registry.ts";
import type { Params } from "../../strategies/types.ts";

const dir = new URL("../../models/facts837K/", import.meta.url).pathname;
export const FACTS_BIN = `${dir}model.bin`;
export const FACTS_TEXT = `${dir}eval.txt`;

let cached: Promise<{ model: Model; corpus: Corpus }> | undefined;

/** facts837K (L0 256) and its evaluation text. */
export function factsAndText(): Promise<{ model: Model; corpus: Corpus }> {
  cached ??= (async () => {
    const model = await loadModel(FACTS_BIN);
    return { model, corpus: await loadCorpus(FACTS_TEXT, model.tokenizer) };
  })();
  return cached;
}

/** Runs compare() on facts837K with built-in strategies given as [label, name, params?]. */
export async function compareOnFacts(
  strategies: [string, string, Params?][],
  opts: Omit<CompareOptions, "model" | "modelName" | "corpus" | "strategies">,
): Promise<CompareReport> {
  const { model, corpus } = await factsAndText();
  const reg = builtinRegistry();
  return compare({
    model,
    modelName: "facts837K",
    corpus,
    strategies: strategies.map(([label, name, params]) => ({
      label,
      strategy: reg.get(name),
      params: params ?? {},
    })),
    ...opts,
  });
}
