/**
 * The tokenizer a run trains with: the built-in byte-level one, or a llama2.c `tokenizer.bin` given
 * by the user (e.g. stories260K's tok512.bin, whose merges make tokens ~3× denser than bytes).
 *
 * @module
 */
import { ModelFormatError } from "../model/config.ts";
import { parseLlama2cTokenizer } from "../model/llama2c_tokenizer.ts";
import type { Tokenizer } from "../model/tokenizer.ts";
import { BYTE_VOCAB_SIZE, byteTokenizer, byteTokenizerBin } from "./byte_tokenizer.ts";

/** A tokenizer with the bytes to write beside the trained model. */
export interface TrainingTokenizer {
  tokenizer: Tokenizer;
  vocabSize: number;
  /** llama2.c tokenizer.bin bytes (written as tok{vocabSize}.bin beside the model). */
  bin: Uint8Array;
}

/**
 * Entries in a llama2.c tokenizer.bin. The file has no count (run.c takes it from the model), but
 * its entries run exactly to the end, so walking them gives the count.
 */
export function llama2cTokenCount(bytes: Uint8Array, source: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 4, n = 0;
  while (off < bytes.byteLength) {
    const len = off + 8 <= bytes.byteLength ? view.getInt32(off + 4, true) : -1;
    if (len < 0 || off + 8 + len > bytes.byteLength) {
      throw new ModelFormatError(`${source}: entry ${n} runs past the end of the file`);
    }
    off += 8 + len;
    n++;
  }
  return n;
}

/** The byte-level tokenizer, or the llama2.c tokenizer.bin at `path`. */
export async function trainingTokenizer(path: string | null): Promise<TrainingTokenizer> {
  if (path === null) {
    return { tokenizer: byteTokenizer(), vocabSize: BYTE_VOCAB_SIZE, bin: byteTokenizerBin() };
  }
  const bin = await Deno.readFile(path);
  const vocabSize = llama2cTokenCount(bin, path);
  return { tokenizer: parseLlama2cTokenizer(bin, vocabSize, path), vocabSize, bin };
}
