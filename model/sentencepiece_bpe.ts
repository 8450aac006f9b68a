/**
 * SentencePiece-style BPE with byte fallback, as llama2.c's `run.c` encodes (and as llama.cpp's SPM
 * tokenizer does for GGUF `tokenizer.ggml.model = "llama"`):
 *
 * 1. optional BOS; 2. a dummy space before non-empty text; 3. each UTF-8 character becomes its piece,
 * or one byte-fallback id per byte when it has none; 4. repeatedly merge the adjacent pair whose
 * concatenation is a piece with the highest score (the leftmost pair on ties).
 *
 * Step 4 uses a heap instead of run.c's rescan of the whole sequence per merge: the result is the
 * same (pairs are ordered by score, then by position) but long texts cost O(n log n), not O(n²).
 *
 * @module
 */
import type { Tokenizer } from "./tokenizer.ts";

/** What a vocabulary provides. Pieces are raw bytes (they need not be valid UTF-8 alone). */
export interface SentencePieceVocab {
  pieces: Uint8Array[];
  scores: ArrayLike<number>;
  bosId: number;
  eosId: number;
  /** The character that stands for a space in pieces: " " in llama2.c files, "▁" in GGUF/SentencePiece. */
  spaceSymbol: string;
  /** Ids that are never produced by matching text and decode to nothing (BOS, EOS, control tokens). */
  controlIds: Iterable<number>;
}

const utf8 = new TextEncoder();

/** Bytes as a JS string of char codes 0..255, so pieces can be Map keys and concatenated exactly. */
function byteKey(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Length of the UTF-8 sequence that starts with byte `b` (1 for stray continuation bytes). */
function utf8Length(b: number): number {
  return b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

/** A possible merge of the symbols at positions `left` and `right` holding ids leftId and rightId. */
interface Candidate {
  score: number;
  left: number;
  right: number;
  leftId: number;
  rightId: number;
}

/** Min-heap of candidate merges ordered by (−score, left position). */
class MergeHeap {
  private items: Candidate[] = [];
  get size(): number {
    return this.items.length;
  }
  private less(i: number, j: number): boolean {
    const a = this.items[i], b = this.items[j];
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }
  push(item: Candidate): void {
    const it = this.items;
    it.push(item);
    for (let i = it.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [it[i], it[p]] = [it[p], it[i]];
      i = p;
    }
  }
  pop(): Candidate {
    const it = this.items;
    const top = it[0];
    const last = it.pop()!;
    if (it.length > 0) {
      it[0] = last;
      for (let i = 0;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < it.length && this.less(l, m)) m = l;
        if (r < it.length && this.less(r, m)) m = r;
        if (m === i) break;
        [it[i], it[m]] = [it[m], it[i]];
        i = m;
      }
    }
    return top;
  }
}

/** A score-merging BPE tokenizer over a SentencePiece-style vocabulary. */
export class SentencePieceBpe implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly ids = new Map<string, number>();
  private readonly keys: string[];
  private readonly byteIds: number[];
  private readonly control: Set<number>;
  private readonly spaceKey: string;

  // Public so exporters can write the same vocabulary into other formats (GGUF, tokenizer.json).
  constructor(readonly vocab: SentencePieceVocab) {
    this.vocabSize = vocab.pieces.length;
    this.bosId = vocab.bosId;
    this.eosId = vocab.eosId;
    this.control = new Set(vocab.controlIds);
    this.keys = vocab.pieces.map(byteKey);
    this.keys.forEach((key, id) => {
      // The first id wins for duplicate pieces; control tokens never match text.
      if (!this.control.has(id) && !this.ids.has(key)) this.ids.set(key, id);
    });
    // Byte fallback pieces are named <0xXX>; run.c assumes they sit at ids 3..258 (byte + 3).
    this.byteIds = Array.from({ length: 256 }, (_, b) => {
      const name = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
      return this.ids.get(name) ?? b + 3;
    });
    this.spaceKey = byteKey(utf8.encode(vocab.spaceSymbol));
  }

  encode(text: string, options: { bos?: boolean } = {}): number[] {
    const out = options.bos === false ? [] : [this.bosId];
    if (text.length === 0) return out;
    const bytes = utf8.encode(" " + text);
    const symId: number[] = [];
    for (let i = 0; i < bytes.length;) {
      const n = Math.min(utf8Length(bytes[i]), bytes.length - i);
      const ch = bytes.subarray(i, i + n);
      const key = n === 1 && ch[0] === 0x20 ? this.spaceKey : byteKey(ch);
      const id = this.ids.get(key);
      if (id !== undefined) symId.push(id);
      else for (const b of ch) symId.push(this.byteIds[b]);
      i += n;
    }
    // Symbols form a linked list; a merge keeps the left symbol and unlinks the right one.
    const n = symId.length;
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const heap = new MergeHeap();
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      // As run.c, a pair merges when the concatenation of the two pieces' texts is a piece.
      const merged = this.ids.get(this.keys[symId[left]] + this.keys[symId[right]]);
      if (merged !== undefined) {
        heap.push({
          score: this.vocab.scores[merged],
          left,
          right,
          leftId: symId[left],
          rightId: symId[right],
        });
      }
    };
    for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
    while (heap.size > 0) {
      const c = heap.pop();
      // Stale when either side has changed since the candidate was pushed.
      if (next[c.left] !== c.right || symId[c.left] !== c.leftId || symId[c.right] !== c.rightId) continue;
      symId[c.left] = this.ids.get(this.keys[c.leftId] + this.keys[c.rightId])!;
      symId[c.right] = -1;
      next[c.left] = next[c.right];
      if (next[c.right] >= 0) prev[next[c.right]] = c.left;
      consider(prev[c.left], c.left);
      consider(c.left, next[c.left]);
    }
    for (let i = 0; i >= 0; i = next[i]) out.push(symId[i]);
    return out;
  }

  decode(ids: readonly number[]): string {
    const step = this.streamDecoder();
    let s = "";
    for (const id of ids) s += step(id);
    return s + step(-1);
  }

  streamDecoder(): (id: number) => string {
    const dec = new TextDecoder("utf-8");
    let prev = -1;
    // id −1 flushes a trailing incomplete character (as U+FFFD).
    return (id: number) => {
      if (id < 0) return dec.decode();
      const bytes = this.pieceBytes(id, prev === this.bosId);
      prev = id;
      return dec.decode(bytes, { stream: true }).replaceAll(this.vocab.spaceSymbol, " ");
    };
  }

  piece(id: number): string {
    return new TextDecoder().decode(this.vocab.pieces[id]);
  }

  private pieceBytes(id: number, afterBos: boolean): Uint8Array {
    if (id < 0 || id >= this.vocabSize || this.control.has(id)) return new Uint8Array(0);
    const p = this.vocab.pieces[id];
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(byteKey(p));
    if (m) return Uint8Array.of(parseInt(m[1], 16));
    // run.c: "following BOS token, sentencepiece decoder strips any leading whitespace".
    const space = utf8.encode(this.vocab.spaceSymbol);
    if (afterBos && p.length >= space.length && space.every((b, i) => p[i] === b)) {
      return p.subarray(space.length);
    }
    return p;
  }
}
