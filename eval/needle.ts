/**
 * Needle documents and needle-driven perplexity (LongRoPE2's search fitness): a fact (the needle)
 * placed at a chosen depth of filler text, a question at the end, and the loss taken only over the
 * answer's tokens — located by character offsets in the tokenised document, never by tokenising the
 * answer alone (in-context tokenisation of " 4821907" differs from standalone tokenisation).
 *
 * Templates are data (JSON): `needle`, `question`, `answer`, an optional `intro`, and generators for
 * the `{placeholders}` they use.
 *
 * @module
 */
import type { LanguageModel, TableFor } from "./language_model.ts";
import { type Corpus, tokenSpans } from "./corpus.ts";
import { createRng, type Rng } from "../util/random.ts";
import { type Estimate, estimate } from "../util/stats.ts";
import type { ProgressSink } from "../util/progress.ts";
import storyPet from "./templates/story_pet.json" with { type: "json" };
import magicNumber from "./templates/magic_number.json" with { type: "json" };
import passkey from "./templates/passkey.json" with { type: "json" };
import { RopekitError } from "../util/errors.ts";

/** How a placeholder's value is drawn. */
export type VarSpec = { choice: string[] } | { digits: number };

/** A needle template. `{name}` placeholders are filled from `vars`. */
export interface NeedleTemplate {
  /** The template's name (`--template NAME`). */
  name: string;
  /** One line saying what the needle asks. */
  description: string;
  /** Text at the start of the document, before the filler. */
  intro?: string;
  /** The sentence carrying the fact, inserted into the filler at the chosen depth. */
  needle: string;
  /** Appended after the filler (on a new line); the answer follows it directly. */
  question: string;
  /** The answer text; its tokens are the only ones scored. */
  answer: string;
  /** How each `{name}` placeholder's value is drawn. */
  vars: Record<string, VarSpec>;
}

/** Thrown for a template that cannot be used. */
export class NeedleError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "NeedleError";
}

/** Built-in templates by name. */
export const NEEDLE_TEMPLATES: Readonly<Record<string, NeedleTemplate>> = {
  "story-pet": storyPet,
  "magic-number": magicNumber,
  passkey,
};

/** Checks a template object (e.g. one read from a user's JSON file). */
export function checkTemplate(t: unknown): NeedleTemplate {
  const o = t as Record<string, unknown>;
  if (!o || typeof o !== "object") throw new NeedleError("needle template: expected an object");
  for (const k of ["name", "needle", "question", "answer"]) {
    if (typeof o[k] !== "string" || o[k] === "") {
      throw new NeedleError(`needle template: "${k}" must be a non-empty string`);
    }
  }
  const vars = (o.vars ?? {}) as Record<string, VarSpec>;
  const used = new Set(
    [...`${o.intro ?? ""}${o.needle}${o.question}${o.answer}`.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
  );
  for (const v of used) {
    const spec = vars[v] as Record<string, unknown> | undefined;
    const ok = spec && ((Array.isArray(spec.choice) && spec.choice.length > 0) ||
      (Number.isInteger(spec.digits) && (spec.digits as number) > 0 && (spec.digits as number) <= 15));
    if (!ok) {
      throw new NeedleError(
        `needle template "${o.name}": placeholder {${v}} needs vars.${v} = {choice: [...]} or {digits: n}`,
      );
    }
  }
  if (!/\{\w+\}/.test(o.answer as string)) {
    throw new NeedleError(`needle template "${o.name}": the answer has no placeholder`);
  }
  return { description: "", ...o, vars } as NeedleTemplate;
}

/** The template with every numeric placeholder drawn with `digits` digits (e.g. a 5-digit magic number). */
export function withDigits(t: NeedleTemplate, digits: number): NeedleTemplate {
  if (!(Number.isInteger(digits) && digits > 0 && digits <= 15)) {
    throw new NeedleError(`digits must be an integer in [1, 15], got ${digits}`);
  }
  const vars = Object.fromEntries(
    Object.entries(t.vars).map(([k, v]) => [k, "digits" in v ? { digits } : v]),
  );
  return { ...t, vars };
}

/** Whether the template's answer is a number (every placeholder in it draws digits). */
export function isNumeric(t: NeedleTemplate): boolean {
  const used = [...t.answer.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return used.length > 0 && used.every((k) => "digits" in (t.vars[k] ?? {}));
}

function drawVars(t: NeedleTemplate, rng: Rng): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, spec] of Object.entries(t.vars)) {
    if ("choice" in spec) out[k] = rng.pick(spec.choice);
    else out[k] = String(10 ** (spec.digits - 1) + rng.int(9 * 10 ** (spec.digits - 1)));
  }
  return out;
}

const fill = (s: string, vars: Record<string, string>) =>
  s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? `{${k}}`);

/** One needle document. */
export interface NeedleDoc {
  /** Token ids, BOS first; length ≤ the requested length. */
  ids: number[];
  /** The document's text (intro, filler with the needle, question and answer). */
  text: string;
  /** Indices into `ids` of the answer's tokens (all at the end). */
  answerTokens: number[];
  /** The answer as written, e.g. " Spot". */
  answer: string;
  /** The length asked for (the document may be a few tokens shorter). */
  targetLength: number;
  /** The depth asked for. */
  requestedDepth: number;
  /** Actual depth of the needle (fraction of the filler before it). */
  depth: number;
  /** Whether the document carries the needle (false for the validity check's control). */
  withNeedle: boolean;
}

/** Where to cut filler near `at`: just after the next sentence end or newline. */
function sentenceBoundary(text: string, at: number): number {
  const re = /[.!?]["”']?\s+|\n/g;
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? m.index + m[0].length : text.length;
}

/**
 * Builds a document of at most `length` tokens: [BOS] intro · filler (needle at `depth`) · "\n" ·
 * question · answer. Filler is taken from `corpus.text` at `fillerStart` and trimmed until the
 * document fits. `withNeedle: false` builds the same document without the needle sentence.
 */
export function buildNeedleDoc(
  tokenizer: LanguageModel["tokenizer"],
  template: NeedleTemplate,
  vars: Record<string, string>,
  corpus: Corpus,
  fillerStart: number,
  length: number,
  depth: number,
  withNeedle = true,
): NeedleDoc {
  const intro = fill(template.intro ?? "", vars);
  const needle = fill(template.needle, vars);
  const tail = "\n" + fill(template.question, vars);
  const answer = fill(template.answer, vars);
  const start = sentenceBoundary(corpus.text, fillerStart);
  const compose = (chars: number) => {
    const filler = corpus.text.slice(start, start + chars).trimEnd();
    const cut = depth <= 0 ? 0 : sentenceBoundary(filler, Math.floor(depth * filler.length));
    const before = filler.slice(0, Math.min(cut, filler.length));
    const after = filler.slice(before.length);
    const sep = before === "" || before.endsWith("\n") || before.endsWith(" ") ? "" : " ";
    const body = withNeedle
      ? `${before}${sep}${needle}${after.startsWith(" ") || after === "" ? "" : " "}${after}`
      : filler;
    return {
      text: `${intro}${body}${tail}${answer}`,
      actualDepth: filler.length ? before.length / filler.length : 0,
    };
  };
  // Characters per token of this text, to start close; then shrink until the document fits.
  let chars = Math.min(corpus.text.length - start, Math.ceil(length * 4));
  let doc = compose(chars);
  let ids = tokenizer.encode(doc.text);
  for (let tries = 0; ids.length > length && tries < 60; tries++) {
    chars = Math.max(0, Math.floor(chars * (tries < 8 ? (length - 2) / ids.length : 0.995)));
    doc = compose(chars);
    ids = tokenizer.encode(doc.text);
  }
  if (ids.length > length) {
    throw new NeedleError(
      `needle template "${template.name}": the question and answer alone exceed ${length} tokens`,
    );
  }
  const decoded = tokenizer.decode(ids);
  if (decoded !== doc.text) {
    throw new NeedleError(
      "the tokenizer does not round-trip this text, so the answer cannot be located by offsets",
    );
  }
  // Score the answer itself (the digits, the name), not the space before it.
  const answerStart = doc.text.length - answer.trimStart().length;
  const answerTokens: number[] = [];
  tokenSpans(tokenizer, ids).forEach(([a, b], i) => {
    if (b > answerStart && a < doc.text.length && b > a) answerTokens.push(i);
  });
  if (answerTokens.length === 0) throw new NeedleError("the answer produced no tokens");
  return {
    ids,
    text: doc.text,
    answerTokens,
    answer,
    targetLength: length,
    requestedDepth: depth,
    depth: doc.actualDepth,
    withNeedle,
  };
}

/** Options of {@linkcode needlePerplexity}. */
export interface NeedleOptions {
  /** The needle sentence, question and answer to place. */
  template: NeedleTemplate;
  /** Document lengths in tokens. */
  lengths: number[];
  /** Needle depths as fractions of the filler (0 = start). */
  depths: number[];
  /** Documents per (length, depth). */
  samples: number;
  /** Seeds the filler offsets and the drawn values. */
  seed: number;
  /** Receives one event per scored document. */
  onProgress?: ProgressSink;
  /** Names the strategy in progress events. */
  label?: string;
}

/** Answer NLL at one (length, depth). */
export interface NeedleCell {
  /** Document length in tokens, BOS included. */
  length: number;
  /** Needle depth as a fraction of the filler (0 = start). */
  depth: number;
  /** Mean NLL per answer token, across documents. */
  nll: Estimate;
  /** exp(mean answer NLL): needle-driven perplexity. */
  ppl: number;
}

/** Mean NLL of a document's answer tokens. */
export function answerNll(doc: NeedleDoc, nll: Float32Array): number {
  let s = 0;
  for (const i of doc.answerTokens) s += nll[i - 1]; // nll[j] scores token j+1
  return s / doc.answerTokens.length;
}

/**
 * The documents {@linkcode needlePerplexity} scores — deterministic given the seed.
 *
 * @example Two story-pet documents of at most 512 tokens, the needle at the start
 * ```ts
 * import assert from "node:assert/strict";
 * import { NEEDLE_TEMPLATES, needleDocs } from "./needle.ts";
 * import { loadCorpus } from "./corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const template = NEEDLE_TEMPLATES["story-pet"];
 * const opts = { template, lengths: [512], depths: [0], samples: 2, seed: 1 };
 * const docs = needleDocs(model.tokenizer, corpus, opts);
 * for (const doc of docs) {
 *   assert.ok(doc.ids.length <= 512);
 *   assert.ok(doc.text.endsWith(doc.answer)); // the question ends the document, then its answer
 *   assert.equal(model.tokenizer.decode(doc.ids.slice(doc.answerTokens[0])).trim(), doc.answer.trim());
 * }
 * ```
 */
export function needleDocs(
  tokenizer: LanguageModel["tokenizer"],
  corpus: Corpus,
  opts: Pick<NeedleOptions, "template" | "lengths" | "depths" | "samples" | "seed">,
  withNeedle = true,
): NeedleDoc[] {
  const rng = createRng(opts.seed);
  const docs: NeedleDoc[] = [];
  for (const length of opts.lengths) {
    for (const depth of opts.depths) {
      for (let s = 0; s < opts.samples; s++) {
        const vars = drawVars(opts.template, rng);
        const start = rng.int(Math.max(1, corpus.text.length - length * 4));
        docs.push(buildNeedleDoc(tokenizer, opts.template, vars, corpus, start, length, depth, withNeedle));
      }
    }
  }
  return docs;
}

/**
 * Needle-driven perplexity over lengths × depths: loss only on the answer tokens. Returns one cell
 * per (length, depth) and the overall exp(mean).
 *
 * @example Needle-driven perplexity of YaRN at 2× the trained context
 * ```ts
 * import assert from "node:assert/strict";
 * import { NEEDLE_TEMPLATES, needlePerplexity } from "./needle.ts";
 * import { loadCorpus } from "./corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 * import { buildTable, builtinRegistry } from "../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const yarn = builtinRegistry().get("yarn");
 * const tableFor = (seqLen: number) => buildTable(yarn, model.spec, { targetLength: 512, seqLen });
 * const template = NEEDLE_TEMPLATES["story-pet"];
 * const r = await needlePerplexity(model, tableFor, corpus, {
 *   template,
 *   lengths: [512],
 *   depths: [0, 0.5],
 *   samples: 2,
 *   seed: 0,
 * });
 * assert.equal(r.cells.length, 2); // one per (length, depth)
 * assert.equal(r.scores.length, 4); // one answer NLL per document
 * console.log(r.cells.map((c) => `depth ${c.depth}: ${c.ppl.toFixed(2)}`));
 * ```
 */
export async function needlePerplexity(
  model: LanguageModel,
  tableFor: TableFor,
  corpus: Corpus,
  opts: NeedleOptions,
): Promise<{ cells: NeedleCell[]; ppl: number; nll: Estimate; scores: number[] }> {
  const docs = needleDocs(model.tokenizer, corpus, opts);
  const scores = await scoreDocs(model, tableFor, docs, opts.onProgress, opts.label ?? "needle");
  const cells: NeedleCell[] = [];
  for (const length of opts.lengths) {
    for (const depth of opts.depths) {
      const e = estimate(
        scores.filter((_, i) => docs[i].targetLength === length && docs[i].requestedDepth === depth),
      );
      cells.push({ length, depth, nll: e, ppl: Math.exp(e.mean) });
    }
  }
  const all = estimate(scores);
  return { cells, ppl: Math.exp(all.mean), nll: all, scores };
}

/** Answer NLL of each document, each scored with the table for its own length. */
export async function scoreDocs(
  model: LanguageModel,
  tableFor: TableFor,
  docs: NeedleDoc[],
  onProgress?: ProgressSink,
  task = "needle",
): Promise<number[]> {
  const out: number[] = [];
  for (const [i, doc] of docs.entries()) {
    const [nll] = (await model.nll([doc.ids], await tableFor(doc.ids.length))).nll;
    out.push(answerNll(doc, nll));
    onProgress?.({ task, done: i + 1, total: docs.length });
  }
  return out;
}

/** Result of {@linkcode needleValidity}. */
export interface NeedleValidity {
  /** Document length of the check (within the trained window). */
  length: number;
  /** Answer NLL with the needle in the document. */
  withNeedle: Estimate;
  /** Answer NLL of the same documents without it. */
  withoutNeedle: Estimate;
  /** Paired difference (without − with): how much the needle helps. */
  gain: Estimate;
  /** True when the gain is positive by more than two standard errors. */
  valid: boolean;
  /** The verdict in one line, with the numbers behind it. */
  message: string;
}

/**
 * The validity check: inside the trained window (length ≤ L0, needle at `depth`), does the model use
 * the needle at all? A template it cannot use even there measures nothing at longer lengths.
 */
export async function needleValidity(
  model: LanguageModel,
  tableFor: TableFor,
  corpus: Corpus,
  opts: {
    template: NeedleTemplate;
    length?: number;
    depth?: number;
    samples: number;
    seed: number;
    onProgress?: ProgressSink;
  },
): Promise<NeedleValidity> {
  const length = opts.length ?? model.spec.originalContext;
  const base = {
    template: opts.template,
    lengths: [length],
    depths: [opts.depth ?? 0],
    samples: opts.samples,
    seed: opts.seed,
  };
  const withDocs = needleDocs(model.tokenizer, corpus, base, true);
  const withoutDocs = needleDocs(model.tokenizer, corpus, base, false);
  const a = await scoreDocs(model, tableFor, withDocs, opts.onProgress, "needle validity (with)");
  const b = await scoreDocs(model, tableFor, withoutDocs, opts.onProgress, "needle validity (without)");
  const gain = estimate(b.map((v, i) => v - a[i]));
  const valid = gain.mean > 2 * gain.stderr && gain.mean >= MIN_NEEDLE_GAIN;
  const message = valid
    ? `valid: the needle lowers answer NLL by ${gain.mean.toFixed(3)} ± ${
      gain.stderr.toFixed(3)
    } nats at length ${length}`
    : `NOT valid: at length ${length} (within L0) the needle changes answer NLL by ${
      gain.mean.toFixed(3)
    } ± ${
      gain.stderr.toFixed(3)
    } nats (valid needs > 2 standard errors and ≥ ${MIN_NEEDLE_GAIN}) — the model cannot use this template, so needle results measure nothing`;
  return { length, withNeedle: estimate(a), withoutNeedle: estimate(b), gain, valid, message };
}

/**
 * The least gain (nats per answer token, within L0) that makes a template valid: a needle the model barely
 * uses passes a significance test on enough documents (facts837K's magic number: 0.001 ± 0.0003 nats) yet
 * cannot rank strategies or search candidates — their needle scores would all be noise.
 */
export const MIN_NEEDLE_GAIN = 0.1;

/**
 * The needle template to use with this model: the one named, as given; otherwise LongRoPE2's magic number
 * (`digits` digits) where the model passes the validity check with it (within L0, needle at the start),
 * else `story-pet`. Returns the template, its validity and a sentence saying what was chosen and why.
 */
export async function chooseNeedleTemplate(
  model: LanguageModel,
  original: TableFor,
  corpus: Corpus,
  opts: {
    template?: NeedleTemplate;
    digits: number;
    samples: number;
    seed: number;
    onProgress?: ProgressSink;
  },
): Promise<{ template: NeedleTemplate; validity: NeedleValidity; note: string }> {
  const check = (template: NeedleTemplate) =>
    needleValidity(model, original, corpus, {
      template,
      samples: opts.samples,
      seed: opts.seed,
      depth: 0,
      onProgress: opts.onProgress,
    });
  if (opts.template) {
    const validity = await check(opts.template);
    return {
      template: opts.template,
      validity,
      note: `template "${opts.template.name}": ${validity.message}`,
    };
  }
  const magic = withDigits(NEEDLE_TEMPLATES["magic-number"], opts.digits);
  const magicValidity = await check(magic);
  if (magicValidity.valid) {
    return {
      template: magic,
      validity: magicValidity,
      note: `template "magic-number" (${opts.digits} digits): ${magicValidity.message}`,
    };
  }
  const pet = NEEDLE_TEMPLATES["story-pet"];
  const validity = await check(pet);
  return {
    template: pet,
    validity,
    note: `template "story-pet", because "magic-number" (${opts.digits} digits) is ${
      magicValidity.message.replace(/^NOT valid: /, "not valid: ")
    }; story-pet: ${validity.message}`,
  };
}
