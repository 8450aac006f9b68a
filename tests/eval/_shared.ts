/**
 * The model and text of the eval, compare and server tests. STORIES_BIN/TINYSTORIES are the shared
 * stories260K and TinyStories (CI's, for properties pinned to that model); TEST_MODEL/TEST_TEXT are
 * those when present, else the in-repo facts837K with its eval.txt, so tests whose property holds for
 * any model also run on a fresh clone.
 */
import { loadModel } from "../../model/load_model.ts";
import type { Model } from "../../model/model.ts";
import { type Corpus, loadCorpus } from "../../eval/corpus.ts";
import { DEFAULT_MODEL, DEFAULT_TEXT, hasSharedFiles, sharedPath } from "../_shared_dir.ts";

const STORIES = "models/stories260K/stories260K.bin", TINY = "data/tinystories_valid_head.txt";
export const STORIES_BIN = sharedPath(STORIES);
export const TINYSTORIES = sharedPath(TINY);

/** True when the shared folder has the stories260K model and the TinyStories text; logs why not. */
export function hasShared(): boolean {
  return hasSharedFiles(STORIES, TINY);
}

const shared = hasSharedFiles(STORIES, TINY);
/** stories260K when the shared folder has it, else the in-repo default model. */
export const TEST_MODEL = shared ? STORIES_BIN : DEFAULT_MODEL;
/** TinyStories with stories260K, else the default model's eval.txt. */
export const TEST_TEXT = shared ? TINYSTORIES : DEFAULT_TEXT;

let cached: Promise<{ model: Model; corpus: Corpus }> | undefined;

/** TEST_MODEL and the first ~60K characters of TEST_TEXT, loaded once per process. */
export function storiesAndText(): Promise<{ model: Model; corpus: Corpus }> {
  cached ??= (async () => {
    const model = await loadModel(TEST_MODEL);
    const corpus = await loadCorpus(TEST_TEXT, model.tokenizer);
    return { model, corpus };
  })();
  return cached;
}
