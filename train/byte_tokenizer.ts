/**
 * A byte-level vocabulary in llama2.c's layout (0 <unk>, 1 BOS, 2 EOS, then the 256 byte-fallback
 * pieces <0x00>…<0xFF> at ids 3…258), plus a " " piece at 259: with it the space the encoder puts
 * before the text is a piece, which decoders (ours and run.c) drop after BOS; as a byte token it
 * would be kept. Also its `tokenizer.bin` bytes. Encoding goes through the same
 * {@linkcode SentencePieceBpe} that `loadModel` builds from the file, so training and inference
 * tokenize identically.
 *
 * @module
 */
import { SentencePieceBpe } from "../model/sentencepiece_bpe.ts";

/** 3 special ids + 256 bytes + " ". */
export const BYTE_VOCAB_SIZE = 260;

const utf8 = new TextEncoder();

function bytePieces(): Uint8Array[] {
  const names = ["<unk>", "\n<s>\n", "\n</s>\n"];
  for (let b = 0; b < 256; b++) names.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  names.push(" ");
  return names.map((n) => utf8.encode(n));
}

/** The byte-level tokenizer. */
export function byteTokenizer(): SentencePieceBpe {
  return new SentencePieceBpe({
    pieces: bytePieces(),
    scores: new Float32Array(BYTE_VOCAB_SIZE),
    bosId: 1,
    eosId: 2,
    spaceSymbol: " ",
    controlIds: [1, 2],
  });
}

/** llama2.c `tokenizer.bin`: int32 max piece length, then per id: f32 score, int32 length, bytes. */
export function byteTokenizerBin(): Uint8Array {
  const pieces = bytePieces();
  const out = new Uint8Array(4 + pieces.reduce((n, p) => n + 8 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setInt32(0, Math.max(...pieces.map((p) => p.length)), true);
  let off = 4;
  for (const p of pieces) {
    view.setFloat32(off, 0, true);
    view.setInt32(off + 4, p.length, true);
    out.set(p, off + 8);
    off += 8 + p.length;
  }
  return out;
}
