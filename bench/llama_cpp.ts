/**
 * llama.cpp as a second peer of `deno task bench`: prompt-processing tokens/s of the prebuilt llama.cpp
 * in the npm package node-llama-cpp (pinned, CPU, 2 threads) on a GGUF written from the weights ropekit
 * ran (model/gguf_writer.ts: same tensors, f32) and the same token ids. The timing runs in ropekit's one
 * llama.cpp peer (engines/llama_cpp.ts, engines/peers/llama_cpp.mjs), which installs the pin into
 * `.engines` on first use; this file writes the GGUF it runs.
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import { placeholderVocab, writeGguf } from "../model/gguf_writer.ts";

/** A GGUF of `model`'s weights (once per name) in `dir`: the file llama.cpp runs. */
export async function ggufOf(model: Model, dir: string, name: string): Promise<string> {
  const path = `${dir}/${name}.gguf`;
  try {
    Deno.statSync(path);
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    // Token ids are passed directly, so any vocabulary of the right size works.
    await writeGguf(path, model.weights, model.spec, placeholderVocab(model.config.vocabSize), name);
  }
  return path;
}
