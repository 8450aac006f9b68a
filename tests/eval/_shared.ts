/** Locating ../shared (the models and texts CI provides) and skipping cleanly without it. */
import { loadModel } from "../../model/load_model.ts";
import type { Model } from "../../model/model.ts";
import { type Corpus, loadCorpus } from "../../eval/corpus.ts";

const shared = new URL("../../../shared/", import.meta.url).pathname;
export const STORIES_BIN = `${shared}models/stories260K/stories260K.bin`;
export const TINYSTORIES = `${shared}data/tinystories_valid_head.txt`;

/** True when ../shared has the stories260K model and the TinyStories text; logs why not. */
export function hasShared(): boolean {
  try {
    Deno.statSync(STORIES_BIN);
    Deno.statSync(TINYSTORIES);
    return true;
  } catch {
    console.log(`SKIP: ${shared} (stories260K + TinyStories) is absent; these tests need it`);
    return false;
  }
}

let cached: Promise<{ model: Model; corpus: Corpus }> | undefined;

/** stories260K and the first ~60K characters of TinyStories validation, loaded once per process. */
export function storiesAndText(): Promise<{ model: Model; corpus: Corpus }> {
  cached ??= (async () => {
    const model = await loadModel(STORIES_BIN);
    const corpus = await loadCorpus(TINYSTORIES, model.tokenizer);
    return { model, corpus };
  })();
  return cached;
}
