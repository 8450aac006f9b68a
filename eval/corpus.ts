/**
 * Evaluation text: read, normalise, tokenise once, and sample windows at seeded random offsets.
 *
 * @module
 */
import type { Tokenizer } from "../model/tokenizer.ts";
import type { Rng } from "../util/random.ts";
import { RopekitError } from "../util/errors.ts";

/** A tokenised corpus. `ids` has no BOS: windows add their own. */
export interface Corpus {
  /** Where the text came from (a path or a label), for reports. */
  name: string;
  /** The normalised text the ids were encoded from. */
  text: string;
  /** The whole text's token ids, without BOS. */
  ids: Int32Array;
}

/** Thrown when a corpus cannot serve the requested windows. */
export class CorpusError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "CorpusError";
}

/**
 * Collapses blank lines to single newlines: story datasets put one "\n" between paragraphs in
 * training, so "\n\n" would be out of distribution (stories260K: ppl 3.83 normalised vs 4.19 raw).
 */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/\n{2,}/g, "\n").trim();
}

/** Tokenises `text` once (no BOS). */
export function makeCorpus(name: string, text: string, tokenizer: Tokenizer): Corpus {
  const normalized = normalizeText(text);
  if (normalized.length === 0) throw new CorpusError(`corpus ${name} is empty`);
  return { name, text: normalized, ids: Int32Array.from(tokenizer.encode(normalized, { bos: false })) };
}

/**
 * Reads and tokenises a text file; a clear error when it cannot be read.
 *
 * @example The in-repo evaluation text, in the model's own tokens
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCorpus } from "./corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * assert.ok(corpus.ids.length > 10_000);
 * assert.notEqual(corpus.ids[0], model.tokenizer.bosId); // windows add their own BOS
 * await assert.rejects(loadCorpus("no/such/file.txt", model.tokenizer), /cannot read text/);
 * ```
 */
export async function loadCorpus(path: string, tokenizer: Tokenizer): Promise<Corpus> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CorpusError(`cannot read text ${path}: ${(e as Error).message}`);
  }
  return makeCorpus(path, text, tokenizer);
}

/**
 * `count` start offsets of spans of `span` tokens, drawn uniformly from [0, total − span]. Distinct
 * where the corpus allows it, so samples do not repeat a window.
 */
export function sampleOffsets(rng: Rng, total: number, span: number, count: number): number[] {
  const room = total - span + 1;
  if (room <= 0) {
    throw new CorpusError(`the corpus has ${total} tokens, fewer than one window of ${span}`);
  }
  const out: number[] = [];
  const seen = new Set<number>();
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const o = rng.int(room);
    if (seen.has(o) && seen.size < room) continue;
    seen.add(o);
    out.push(o);
  }
  return out;
}

/**
 * Character ranges of each token of `ids` in `tokenizer.decode(ids)`, from the streaming decoder.
 * Tokens that complete no character (a partial UTF-8 byte) get an empty range.
 */
export function tokenSpans(tokenizer: Tokenizer, ids: readonly number[]): [number, number][] {
  const step = tokenizer.streamDecoder();
  const spans: [number, number][] = [];
  let at = 0;
  for (const id of ids) {
    const piece = step(id);
    spans.push([at, at + piece.length]);
    at += piece.length;
  }
  return spans;
}

/**
 * The part of a corpus between two fractions of its text, cut at line starts so no story is split
 * between the search's part and the held-out part.
 */
export function corpusSlice(
  corpus: Corpus,
  range: [number, number],
  tokenizer: Tokenizer,
): Corpus {
  const [a, b] = range;
  if (!(a >= 0 && b <= 1 && a < b)) {
    throw new CorpusError(`text range must satisfy 0 ≤ from < to ≤ 1, got ${a}:${b}`, {
      field: "text-range",
    });
  }
  if (a === 0 && b === 1) return corpus;
  const text = corpus.text;
  const cut = (f: number) => {
    if (f <= 0) return 0;
    if (f >= 1) return text.length;
    const nl = text.indexOf("\n", Math.floor(f * text.length));
    return nl < 0 ? text.length : nl + 1;
  };
  return makeCorpus(`${corpus.name}[${a}:${b}]`, text.slice(cut(a), cut(b)), tokenizer);
}
