/** ropekit's in-repo default model (models/facts837K) and its eval.txt, loaded once per process. */
import { loadModel } from "../../model/load_model.ts";
import type { Model } from "../../model/model.ts";
import { type Corpus, loadCorpus } from "../../eval/corpus.ts";

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
