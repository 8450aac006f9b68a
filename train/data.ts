/**
 * Token windows from a sequence of documents (generated stories or text files), resumable from a
 * small position: a document index and an offset inside it. Documents are tokenized with BOS first
 * and concatenated; a window crossing documents gets `docStarts` at each BOS so that, with document
 * masks on, every row attends only within its own document with positions restarting at 0.
 *
 * @module
 */
import type { RopeApply } from "../kernels/rope_apply.ts";
import type { Tokenizer } from "../model/tokenizer.ts";
import { packedPositions, type TrainWindow } from "./model_grad.ts";

/** Where the next window starts. */
export interface StreamPosition {
  doc: number;
  offset: number;
}

/** Options of {@linkcode DocumentStream}. */
export interface DocumentStreamOptions {
  /**
   * Start every window at a document's BOS: the tail of a document cut at a window's end is dropped
   * instead of opening the next window. Why: packed question–answer documents (the recall corpus) cut
   * at a window's end would otherwise put their questions at the top of the next window without the facts
   * they ask for (restarted positions, masked from the previous window), teaching the model that answers
   * are guesses. Costs the dropped tails' tokens.
   */
  wholeDocs?: boolean;
}

/** Consecutive windows over documents `docAt(0), docAt(1), …` (token ids, BOS first). */
export class DocumentStream {
  position: StreamPosition = { doc: 0, offset: 0 };
  private cached: { doc: number; tokens: Int32Array } | undefined;

  constructor(
    private readonly docAt: (i: number) => Int32Array,
    private readonly opts: DocumentStreamOptions = {},
  ) {}

  private tokensOf(doc: number): Int32Array {
    if (this.cached?.doc !== doc) this.cached = { doc, tokens: this.docAt(doc) };
    return this.cached.tokens;
  }

  /** The next T + 1 tokens; the window after it starts at this one's last token (its last target). */
  next(T: number): Int32Array {
    const out = new Int32Array(T + 1);
    let { doc, offset } = this.position;
    for (let filled = 0; filled <= T;) {
      const tokens = this.tokensOf(doc);
      const n = Math.min(tokens.length - offset, T + 1 - filled);
      out.set(tokens.subarray(offset, offset + n), filled);
      // The last chunk ends at token T; the next window starts on it (or, with whole documents, on the
      // next BOS: this document's own, when only that BOS fit, else the next document's).
      if (filled + n === T + 1) {
        this.position = !this.opts.wholeDocs
          ? { doc, offset: offset + n - 1 }
          : offset === 0 && n === 1
          ? { doc, offset: 0 }
          : { doc: doc + 1, offset: 0 };
      }
      filled += n;
      offset += n;
      if (offset === tokens.length) [doc, offset] = [doc + 1, 0];
    }
    return out;
  }
}

/**
 * A training window over `tokens` (T + 1). With `documentMasks`, rows from each BOS on form a
 * document: attention stays inside it and RoPE positions restart, as for packed short documents.
 */
export function makeWindow(
  tokens: Int32Array,
  rope: RopeApply,
  bosId: number,
  documentMasks: boolean,
): TrainWindow {
  if (!documentMasks) return { tokens, rope };
  const T = tokens.length - 1;
  const starts = [0];
  for (let t = 1; t < T; t++) if (tokens[t] === bosId) starts.push(t);
  const docStarts = Int32Array.from(starts);
  return { tokens, rope: { ...rope, positions: packedPositions(T, docStarts) }, docStarts };
}

/** Document `i` as token ids (BOS first) from its text. */
export function tokenizedDocuments(
  text: (i: number) => string,
  tokenizer: Tokenizer,
): (i: number) => Int32Array {
  return (i) => Int32Array.from(tokenizer.encode(text(i), { bos: true }));
}
