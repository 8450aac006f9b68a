/**
 * What a training run reads, as a small JSON-able description stored in its checkpoints, so a resumed
 * run rebuilds exactly the same documents and tokenizer: a text file or a generated corpus, the seed,
 * the tokenizer (byte-level, a llama2.c `tokenizer.bin`, or a BPE trained on the corpus), and for
 * mixed context window training a second stream of long documents.
 *
 * @module
 */
import { trainBpe } from "./bpe.ts";
import { type DocumentStreamOptions, tokenizedDocuments } from "./data.ts";
import { factDocument } from "./fact_corpus.ts";
import { type RecallCorpusOptions, recallDocument } from "./recall_corpus.ts";
import { story } from "./story_corpus.ts";
import { type TrainingTokenizer, trainingTokenizer } from "./tokenizer_file.ts";

/**
 * The generated corpora: `stories` (one fact triple per story), `facts` (pets and magic numbers, in the
 * needle templates' own sentences), `recall` (arbitrary keys and values in varied wording, never the
 * evaluation templates).
 */
export const CORPORA = ["facts", "stories", "recall"] as const;
export type CorpusName = typeof CORPORA[number];

/** Filler sentences per generated document when a run names none: each corpus's own (train and finetune). */
export function defaultFiller(corpus: CorpusName): [number, number] {
  return corpus === "facts" ? [0, 14] : corpus === "recall" ? [0, 20] : [2, 20];
}

/** A run's data. */
export interface DataSource {
  /** A text file (documents separated by blank lines), or null for a generated corpus. */
  data: string | null;
  corpus: CorpusName;
  seed: number;
  /** Filler sentences per generated document (short stream). */
  filler: [number, number];
  /** Filler sentences per long document (the long stream of mixed training); absent: no long stream. */
  longFiller?: [number, number];
  /**
   * null: bytes; "bpe:N": an N-piece BPE trained on 3,000 of the corpus's documents ("bpe:N:digits3":
   * plus every 2- and 3-digit group, as Llama 3 splits numbers); else a file.
   */
  tokenizer: string | null;
  /** The document both streams start at (default 0). */
  firstDoc?: number;
  /** Recall corpus: documents at its start that are mostly copy drills (default: the corpus's, 8,000). */
  drillDocs?: number;
  /** Recall corpus: bodies in paragraphs, blank lines between (default false: one paragraph). */
  paragraphs?: boolean;
  /** Recall corpus: half of the questions with a varied phrase between key and answer (default false). */
  gapWords?: boolean;
  /** Every short window starts at a document's BOS; cut tails are dropped (see {@linkcode DocumentStreamOptions}). */
  wholeDocs?: boolean;
}

/** Documents the BPE of a `bpe:N` tokenizer is trained on, from past the facts corpus's drill curriculum. */
const BPE_DOCS = 3000, BPE_FIRST_DOC = 100_000;

/** Seed offset of the long-document stream, so long documents are not the short ones stretched. */
const LONG_SEED = 0x10f9;

/** The recall corpus's options a run's data source sets (its short stream's filler included). */
export function recallOptions(src: DataSource): RecallCorpusOptions {
  return { filler: src.filler, drillDocs: src.drillDocs, paragraphs: src.paragraphs, gapWords: src.gapWords };
}

/** Generated document `i` of the corpus with `filler` sentences. */
function generated(src: DataSource, seed: number, filler: [number, number]): (i: number) => string {
  if (src.corpus === "facts") return (i) => factDocument(seed, i, { filler });
  if (src.corpus === "recall") return (i) => recallDocument(seed, i, { ...recallOptions(src), filler });
  return (i) => story(seed, i, { minFiller: filler[0], maxFiller: filler[1] });
}

/** The run's tokenizer. */
export async function sourceTokenizer(src: DataSource): Promise<TrainingTokenizer> {
  const bpe = src.tokenizer?.match(/^bpe:(\d+)(:digits3)?$/);
  if (bpe) {
    const text = src.data === null
      ? Array.from({ length: BPE_DOCS }, (_, i) => generated(src, src.seed, src.filler)(BPE_FIRST_DOC + i))
      : [await Deno.readTextFile(src.data)];
    return trainBpe(text, Number(bpe[1]), bpe[2] ? 3 : 1);
  }
  return await trainingTokenizer(src.tokenizer);
}

/** The run's documents as token ids (BOS first), and its long documents when it has a long stream. */
export async function sourceDocuments(
  src: DataSource,
  tok: TrainingTokenizer,
): Promise<{ docAt: (i: number) => Int32Array; longDocAt?: (i: number) => Int32Array }> {
  if (src.data !== null) {
    const docs = (await Deno.readTextFile(src.data)).split(/\n\s*\n/).map((d) => d.trim()).filter((d) => d);
    if (docs.length === 0) throw new RangeError(`${src.data}: no text`);
    // Long windows of a text file run over consecutive documents of the same stream.
    return { docAt: tokenizedDocuments((i) => docs[i % docs.length], tok.tokenizer) };
  }
  const docAt = tokenizedDocuments(generated(src, src.seed, src.filler), tok.tokenizer);
  const longDocAt = src.longFiller &&
    tokenizedDocuments(generated(src, src.seed + LONG_SEED, src.longFiller), tok.tokenizer);
  return { docAt, longDocAt };
}

/** How the short stream of `src` cuts windows. */
export function streamOptions(src: DataSource): DocumentStreamOptions {
  return { wholeDocs: src.wholeDocs ?? false };
}

/** A one-line description for progress output. */
export function describeSource(src: DataSource): string {
  if (src.data !== null) return src.data;
  const long = src.longFiller ? `, long documents ${src.longFiller.join("–")} filler sentences` : "";
  const from = src.firstDoc ? `, from document ${src.firstDoc}` : "";
  const wording = (src.paragraphs ? ", in paragraphs" : "") + (src.gapWords ? ", gap-word questions" : "");
  const whole = src.wholeDocs ? ", windows start at documents" : "";
  return `generated ${src.corpus} (seed ${src.seed}${from}, ${
    src.filler.join("–")
  } filler sentences${wording}${long}${whole})`;
}
