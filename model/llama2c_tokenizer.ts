/**
 * llama2.c `tokenizer.bin`: int32 max_token_length, then per id: float32 score, int32 byte length,
 * raw bytes. Pieces use a plain space; ids 1 and 2 are BOS and EOS.
 *
 * @module
 */
import { ModelFormatError } from "./config.ts";
import { SentencePieceBpe } from "./sentencepiece_bpe.ts";

/** Parses a tokenizer.bin holding `vocabSize` entries (the checkpoint header says how many). */
export function parseLlama2cTokenizer(
  bytes: Uint8Array,
  vocabSize: number,
  source: string,
): SentencePieceBpe {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces: Uint8Array[] = [];
  const scores = new Float32Array(vocabSize);
  let off = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (off + 8 > bytes.byteLength) {
      throw new ModelFormatError(`${source}: ends after ${id} tokens, the model needs ${vocabSize}`);
    }
    scores[id] = view.getFloat32(off, true);
    const len = view.getInt32(off + 4, true);
    off += 8;
    if (len < 0 || off + len > bytes.byteLength) {
      throw new ModelFormatError(`${source}: token ${id} has an impossible length ${len}`);
    }
    pieces.push(bytes.slice(off, off += len));
  }
  return new SentencePieceBpe({ pieces, scores, bosId: 1, eosId: 2, spaceSymbol: " ", controlIds: [1, 2] });
}
