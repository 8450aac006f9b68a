/**
 * Trains a byte-pair-encoding vocabulary in llama2.c's layout (0 <unk>, 1 BOS, 2 EOS, 3…258 byte
 * fallback, then the text's characters, then merges scored by rank), so the result is a `tokenizer.bin`
 * that run.c, `loadModel` and {@linkcode SentencePieceBpe} encode with. Text is split into words that
 * carry their leading space (" cat", ".", "\n"), and merges never cross words. Digits are never merged
 * from the text (each digit is one token, as in Llama 2's tokenizer); with `digitGroups` 3 the vocabulary
 * also holds every string of 2 and 3 digits, so a number splits into groups of 1–3 digits as Llama 3's
 * tokenizer splits it (7 digits: 3 tokens) — each group a rare token, which a small model learns to copy
 * far sooner than a run of single digits that repeat within the number.
 *
 * @module
 */
import { SentencePieceBpe } from "../model/sentencepiece_bpe.ts";
import { llama2cBasePieces } from "./byte_tokenizer.ts";
import { llama2cTokenizerBytes } from "./llama2c_writer.ts";
import type { TrainingTokenizer } from "./tokenizer_file.ts";
import { TrainSetupError } from "./train_setup_error.ts";

const utf8 = new TextEncoder();

/** Words with their leading space: letters, single digits, runs of other symbols, newlines. */
const WORD = / ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\n| +/g;

/**
 * A vocabulary of `vocabSize` pieces learned from `texts` (frequent pairs merged first). Throws when
 * the texts have too few distinct characters and pairs to fill it.
 */
export function trainBpe(
  texts: Iterable<string>,
  vocabSize: number,
  digitGroups: 1 | 3 = 1,
): TrainingTokenizer {
  const words = new Map<string, number>();
  for (const text of texts) {
    // The encoder puts a space before the text: train on what it will see.
    for (const w of (" " + text).match(WORD) ?? []) words.set(w, (words.get(w) ?? 0) + 1);
  }
  const pieces = llama2cBasePieces();
  const chars = new Set<string>();
  for (const w of words.keys()) for (const ch of w) chars.add(ch);
  pieces.push(...[...chars].sort());
  const scores: number[] = pieces.map(() => 0);
  // Each distinct word as its current symbols.
  const seqs = [...words].map(([w, n]) => ({ syms: [...w], n }));
  const mergeable = (s: string) => !/[0-9]/.test(s);
  while (pieces.length < vocabSize) {
    const counts = new Map<string, number>();
    let best = "", bestCount = 0;
    for (const { syms, n } of seqs) {
      for (let i = 0; i + 1 < syms.length; i++) {
        if (!mergeable(syms[i]) || !mergeable(syms[i + 1])) continue;
        const key = syms[i] + "\u0000" + syms[i + 1];
        const c = (counts.get(key) ?? 0) + n;
        counts.set(key, c);
        // Ties go to the pair seen first, so the result does not depend on Map internals.
        if (c > bestCount) [best, bestCount] = [key, c];
      }
    }
    if (bestCount === 0) {
      throw new TrainSetupError(`trainBpe: the text supports only ${pieces.length} pieces, not ${vocabSize}`);
    }
    const [a, b] = best.split("\u0000"), merged = a + b;
    pieces.push(merged);
    scores.push(-(pieces.length)); // earlier merges win in the encoder
    for (const s of seqs) {
      const out: string[] = [];
      for (let i = 0; i < s.syms.length; i++) {
        if (i + 1 < s.syms.length && s.syms[i] === a && s.syms[i + 1] === b) out.push(merged), i++;
        else out.push(s.syms[i]);
      }
      s.syms = out;
    }
  }
  if (digitGroups === 3) {
    // Scored below every text merge; the encoder merges digits until no 4-digit piece exists, so the
    // groups are 1–3 digits long (where they split depends on the scores, deterministically).
    for (const width of [2, 3]) {
      for (let n = 0; n < 10 ** width; n++) {
        pieces.push(String(n).padStart(width, "0"));
        scores.push(-(pieces.length));
      }
    }
  }
  const bytes = pieces.map((p) => utf8.encode(p));
  const tokenizer = new SentencePieceBpe({
    pieces: bytes,
    scores: Float32Array.from(scores),
    bosId: 1,
    eosId: 2,
    spaceSymbol: " ",
    controlIds: [1, 2],
  });
  return { tokenizer, vocabSize: pieces.length, bin: llama2cTokenizerBytes(bytes, scores) };
}
