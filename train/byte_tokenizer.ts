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
import { llama2cTokenizerBytes } from "./llama2c_writer.ts";

/** 3 special ids + 256 bytes + " ". */
export const BYTE_VOCAB_SIZE = 260;

const utf8 = new TextEncoder();

/** The 259 pieces every llama2.c vocabulary starts with: <unk>, BOS, EOS, then <0x00>…<0xFF>. */
export function llama2cBasePieces(): string[] {
  const names = ["<unk>", "\n<s>\n", "\n</s>\n"];
  for (let b = 0; b < 256; b++) names.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  return names;
}

function bytePieces(): Uint8Array[] {
  return [...llama2cBasePieces(), " "].map((n) => utf8.encode(n));
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

/** llama2.c `tokenizer.bin` of the byte-level vocabulary. */
export function byteTokenizerBin(): Uint8Array {
  return llama2cTokenizerBytes(bytePieces(), new Float32Array(BYTE_VOCAB_SIZE));
}
