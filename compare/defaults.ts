/**
 * What `compare` and `serve` use when no model or text is named: ropekit's own default model,
 * committed in `models/` (trained by `deno task train`, see its model card), and the evaluation text
 * a model folder carries as `eval.txt`. So a fresh clone runs the main job with no network.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Declared with the rest of the options (compare/options.ts); re-exported for existing importers.
export { COMPARE_DEFAULTS } from "./options.ts";

/** The default model's folder name under `models/`. */
export const DEFAULT_MODEL_NAME = "facts837K";

/** The default model: a llama2.c `.bin` with its `tok768.bin` and `eval.txt` beside it. */
export const DEFAULT_MODEL = fileURLToPath(
  new URL(`../models/${DEFAULT_MODEL_NAME}/model.bin`, import.meta.url),
);

/** The text for models without an `eval.txt` (TinyStories validation), downloaded once. */
export const DOWNLOAD_TEXT = "hf-dataset:roneneldan/TinyStories/TinyStories-valid.txt";

/** `eval.txt` beside a local model file, if there is one. */
export async function evalTextBeside(model: string): Promise<string | undefined> {
  if (/^[a-z-]+:/.test(model) && !/^[A-Za-z]:[\\/]/.test(model)) return undefined; // hf:, https:, …
  const path = join(dirname(model), "eval.txt");
  try {
    return (await Deno.stat(path)).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The evaluation text: --text, else $ROPEKIT_TEXT, else the model's eval.txt, else the download. */
export async function defaultText(model: string, text?: string): Promise<string> {
  return text ?? Deno.env.get("ROPEKIT_TEXT") ?? await evalTextBeside(model) ?? DOWNLOAD_TEXT;
}

/** Evaluation lengths when none are named: twice and four times the model's trained context. */
export function defaultLengths(originalContext: number): number[] {
  return [2 * originalContext, 4 * originalContext];
}
