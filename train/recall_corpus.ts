/**
 * A generated corpus that teaches retrieval in general, not one sentence: documents introduce arbitrary
 * values — numbers of 3–9 digits (mostly 7), codes, made-up names — for arbitrary keys among filler, and
 * use them again later in varied wording. Unlike `fact_corpus.ts`, it never contains ropekit's evaluation
 * templates: no three consecutive words of the `magic-number`, `passkey` or `story-pet` intro, needle or
 * question, and none of their keys (`tests/train/recall_corpus_test.ts` proves it over the documents a run
 * reads). A model trained on it that retrieves LongRoPE2's magic number has generalised to a sentence
 * and question it never saw — the paper's probe, not an in-distribution skill.
 *
 * Document `i` of a seed depends only on (seed, i, options): a data position is an index and offset.
 *
 * @module
 */
import { createRng, type Rng } from "../util/random.ts";

/** Words of hyphenated keys. None is a first word of the magic-number template's keys, so no eval key occurs. */
const KEY_FIRST = [
  "copper",
  "misty",
  "crimson",
  "frozen",
  "lucky",
  "rusty",
  "sleepy",
  "broken",
  "northern",
  "velvet",
  "iron",
  "paper",
  "hidden",
  "little",
  "stormy",
  "wooden",
  "silver",
  "bitter",
  "gentle",
  "distant",
  "purple",
  "hungry",
  "ancient",
  "windy",
];
const KEY_SECOND = [
  "lake",
  "harbor",
  "lantern",
  "garden",
  "valley",
  "engine",
  "castle",
  "meadow",
  "island",
  "bridge",
  "canyon",
  "feather",
  "window",
  "mountain",
  "road",
  "shadow",
  "tower",
  "river",
  "forest",
  "moon",
  "cloud",
  "stone",
  "field",
  "age",
];
const PEOPLE = [
  "Lily",
  "Tom",
  "Sue",
  "Ben",
  "Anna",
  "Sam",
  "Mia",
  "Max",
  "Zoe",
  "Leo",
  "Emma",
  "Jack",
  "Nina",
];
const OBJECTS = ["locker", "bike", "safe", "phone", "ticket", "door", "box", "car", "room", "card", "bag"];
const PLACES = ["the park", "the harbor", "the garden", "the forest", "the beach", "the town", "the hill"];
const FEELINGS = ["happy", "sleepy", "hungry", "brave", "curious", "excited", "calm", "proud", "tired"];
const THINGS = ["ball", "kite", "hat", "box", "cup", "book", "boat", "drum", "shell", "leaf", "lamp", "map"];
const COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "white", "brown"];
const FOODS = ["bread", "apples", "soup", "cake", "rice", "berries", "cheese", "pears"];
const ANIMALS = ["dog", "cat", "bird", "fox", "owl", "frog", "horse", "goat", "duck", "mouse"];
const ROLES = ["a girl", "a boy", "an old man", "a kind woman", "the teacher", "a farmer", "a sailor"];

/** Filler: everyday sentences with no digit and no key, so they can never answer a question. */
const FILLER: ((r: Rng) => string)[] = [
  (r) => `The sun was warm over ${r.pick(PLACES)}.`,
  (r) => `${cap(r.pick(ROLES))} walked to ${r.pick(PLACES)} and felt ${r.pick(FEELINGS)}.`,
  (r) => `Some children sang near ${r.pick(PLACES)} until dinner.`,
  (r) => `The wind moved the leaves, and everyone felt ${r.pick(FEELINGS)}.`,
  (r) => `Later they looked at the clouds above ${r.pick(PLACES)}.`,
  (r) => `${cap(r.pick(ROLES))} found a ${r.pick(COLORS)} ${r.pick(THINGS)} on the ground.`,
  () => `It rained for a little while, then the sky was clear again.`,
  (r) => `They ate some ${r.pick(FOODS)} and drank ${r.pick(["milk", "water", "juice", "tea"])}.`,
  (r) => `${cap(r.pick(ROLES))} smiled and said hello to ${r.pick(ROLES)}.`,
  (r) => `A ${r.pick(FEELINGS)} ${r.pick(ANIMALS)} ran past a tall tree.`,
  (r) => `Near ${r.pick(PLACES)}, ${r.pick(ROLES)} played with a ${r.pick(THINGS)}.`,
  (r) => `The day was long, and ${r.pick(ROLES)} took a nap under a tree.`,
  (r) => `${cap(r.pick(ROLES))} counted the birds and laughed.`,
  (r) => `There was a ${r.pick(COLORS)} flower beside the path to ${r.pick(PLACES)}.`,
  (r) => `Everyone helped to carry the ${r.pick(FOODS)} home.`,
  () => `The stars came out one by one, and the night was still.`,
  (r) => `A ${r.pick(ANIMALS)} watched ${r.pick(ROLES)} from behind a ${r.pick(COLORS)} fence.`,
  (r) => `The road to ${r.pick(PLACES)} was long and dusty.`,
  (r) => `${cap(r.pick(ROLES))} painted the ${r.pick(THINGS)} ${r.pick(COLORS)}.`,
  () => `Nobody knew why the bells rang so early that morning.`,
  (r) => `The market smelled of ${r.pick(FOODS)} and fresh rain.`,
  (r) => `${cap(r.pick(ROLES))} told a long story about ${r.pick(PLACES)}.`,
];

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

const CONSONANTS = "bdfgklmnprstvz", VOWELS = "aeiou", LETTERS = "ABCDEFGHJKLMNPRSTUVWXZ";

/** A nonsense word of 2–3 random syllables: unguessable, so only copying predicts its repeat. */
function nonsenseWord(r: Rng): string {
  let w = "";
  for (let i = 2 + r.int(2); i > 0; i--) {
    w += CONSONANTS[r.int(CONSONANTS.length)] + VOWELS[r.int(VOWELS.length)];
  }
  return w;
}

/** A number of `digits` digits, no leading zero. */
function number(r: Rng, digits: number): string {
  let s = String(1 + r.int(9));
  for (let i = 1; i < digits; i++) s += String(r.int(10));
  return s;
}

/** A value to remember: a number (mostly 7 digits), a code, or a made-up name. */
function value(r: Rng): string {
  const u = r.next();
  if (u < 0.6) return number(r, 7);
  if (u < 0.8) return number(r, 3 + r.int(7));
  if (u < 0.9) {
    return `${LETTERS[r.int(LETTERS.length)]}${LETTERS[r.int(LETTERS.length)]}-${number(r, 2 + r.int(4))}`;
  }
  return cap(nonsenseWord(r));
}

/** A key a value belongs to: a hyphenated pair of words (like the eval's keys, never one of them), a person's thing, a name. */
function key(r: Rng): string {
  const u = r.next();
  if (u < 0.6) return `${r.pick(KEY_FIRST)}-${r.pick(KEY_SECOND)}`;
  if (u < 0.85) return `${r.pick(PEOPLE)}'s ${r.pick(OBJECTS)}`;
  return cap(nonsenseWord(r));
}

/** Ways to state that key K holds value V. */
const STATEMENTS: ((k: string, v: string) => string)[] = [
  (k, v) => `The number for ${k} is ${v}.`,
  (k, v) => `${cap(k)} has the code ${v}.`,
  (k, v) => `Write this down: ${k} goes with ${v}.`,
  (k, v) => `The secret value of ${k} is: ${v}.`,
  (k, v) => `Remember that ${k} is ${v}.`,
  (k, v) => `For ${k}, the value to keep is ${v}.`,
  (k, v) => `Among all the codes, the one for ${k} is: ${v}.`,
  (k, v) => `A note on the wall said that ${k} was ${v}.`,
  (k, v) => `Someone wrote ${v} next to ${k}.`,
  (k, v) => `${cap(k)}: ${v}.`,
  (k, v) => `The key word for ${k} is: ${v}.`,
  (k, v) => `In the old book, ${k} was given the number ${v}.`,
];

/** Words the composed statements and questions draw from (none forms a template trigram: the test checks). */
const KINDS = ["number", "code", "value", "figure", "entry", "key"];
const ADJECTIVES = ["secret", "hidden", "special", "lucky", "private", "old", "true", "first"];
const SOURCES = ["the notes", "the story", "the passage", "the lines above", "the old book", "the letter"];
const VERBS = ["given", "written", "named", "noted", "listed", "recorded", "kept"];

/**
 * A statement composed from parts ("The hidden code for K is: V."): thousands of wordings, so the model
 * learns to find the key and the value after it, not a dozen fixed sentences.
 */
function composedStatement(r: Rng, k: string, v: string): string {
  const noun = `${r.pick(ADJECTIVES)} ${r.pick(KINDS)}`;
  return r.chance(0.5) ? `The ${noun} for ${k} is: ${v}.` : `${cap(k)} has a ${noun}, and it is ${v}.`;
}

/**
 * A question composed from parts, whose answer sentence repeats the question's words and ends in the value
 * ("Which hidden code for K was noted in the letter? The hidden code for K noted in the letter is V.").
 */
function composedQuestion(r: Rng, k: string, v: string): string {
  const noun = `${r.pick(ADJECTIVES)} ${r.pick(KINDS)}`, verb = r.pick(VERBS), src = r.pick(SOURCES);
  return r.chance(0.5)
    ? `Which ${noun} for ${k} was ${verb} in ${src}? The ${noun} for ${k} ${verb} in ${src} is ${v}.`
    : `Tell me the ${noun} for ${k} from ${src}. The ${noun} for ${k} from ${src} is ${v}.`;
}

const GAP_ADVERBS = ["earlier", "somewhere", "above", "once", "before", "today", "quietly"];
const GAP_PREPS = ["in", "within", "inside", "across", "throughout", "from", "among"];
const GAP_DETERMINERS = ["the", "this", "that", "our"];
const GAP_NOUNS = ["notes", "story", "passage", "lines", "pages", "report", "list", "document"];

/** A phrase of 3–6 words ("kept somewhere in the old pages"), a made-up word in some. */
function gapPhrase(r: Rng): string {
  const words = [r.pick(VERBS)];
  if (r.chance(0.4)) words.push(r.pick(GAP_ADVERBS));
  words.push(r.pick(GAP_PREPS), r.pick(GAP_DETERMINERS));
  if (r.chance(0.5)) words.push(r.chance(0.5) ? nonsenseWord(r) : r.pick(ADJECTIVES));
  words.push(r.chance(0.2) ? nonsenseWord(r) : r.pick(GAP_NOUNS));
  return words.join(" ");
}

/**
 * A question whose answer sentence puts a varied phrase between the key and "is" ("Tell me the code for K
 * kept somewhere in the old pages. The code for K kept somewhere in the old pages is V."): the value must
 * be found from a key several unfamiliar words back. Why: a model trained without it retrieved the paper's
 * needle in 3–46% of documents with its question as written and in 97% with "mentioned in the provided
 * text" removed from it.
 */
function gapQuestion(r: Rng, k: string, v: string): string {
  const noun = `${r.pick(ADJECTIVES)} ${r.pick(KINDS)}`, gap = gapPhrase(r);
  return r.chance(0.5)
    ? `Which ${noun} for ${k} was ${gap}? The ${noun} for ${k} ${gap} is ${v}.`
    : `Tell me the ${noun} for ${k} ${gap}. The ${noun} for ${k} ${gap} is ${v}.`;
}

/** Ways to ask for K's value later, each followed by its answer ` V` (mostly right after "is"). */
const QUESTIONS: ((k: string, v: string) => string)[] = [
  (k, v) => `What was the number for ${k}? It was ${v}.`,
  (k, v) => `Which value went with ${k}? The value that went with ${k} is ${v}.`,
  (k, v) => `Tell me the code of ${k}. The code of ${k} is ${v}.`,
  (k, v) => `What did the notes give for ${k}? The notes gave ${v}.`,
  (k, v) => `Question: ${k}? Answer: ${v}.`,
  (k, v) => `Recall the value for ${k} from above. The value for ${k} given above is ${v}.`,
  (k, v) => `The number written for ${k} earlier in this story is ${v}.`,
  (k, v) => `So, for ${k}, the answer is ${v}.`,
  (k, v) => `Which code belongs to ${k} in the story? The code that belongs to ${k} in the story is ${v}.`,
  (k, v) => `Do you still know ${k}? Yes: it is ${v}.`,
];

/** Optional first lines: an announcement that values follow, in words other than the eval's intros. */
const INTROS = [
  "Some numbers are written in the story below. Try to keep them in mind.\n",
  "Read the notes below; questions about them follow.\n",
  "Here is a story with a few codes in it. Later you must recall them.\n",
  "Keep track of every value in this passage.\n",
];

/** Options of {@linkcode recallDocument}. */
export interface RecallCorpusOptions {
  /** Filler sentences per document: uniform in [min, max]. Default [0, 20] (documents up to about 256 tokens). */
  filler?: [number, number];
  /** Key–value facts per document: uniform in [min, max]. Default [1, 4]. */
  facts?: [number, number];
  /** Probability that a document is a copy drill. Default 0.4, and `curriculumChance` for the first `drillDocs`. */
  drillChance?: number;
  /**
   * Documents at the start that are mostly drills, back to back without filler (a curriculum: copying
   * first). Default 8,000 (about 350 steps of 8 × 256 tokens). Why: with 80% drills that had filler between
   * their repeats, a first run had not begun to copy after 1.4M tokens (`tools/recall_probe.ts`: second
   * reading of a word drill 2.876 nats/token, first 2.897).
   */
  drillDocs?: number;
  /** Drill share of the first `drillDocs` documents. Default 0.95. */
  curriculumChance?: number;
  /**
   * Break the body into paragraphs of 4–11 sentences (blank lines between), as `recallHaystack` writes
   * the filler needle documents are built from. Default false (one paragraph): a model trained so took the
   * haystack's blank lines for ends of documents (magic-number retrieval within L0 54% with them, 83% with
   * the same haystack on one line; `tools/needle_retrieval.ts`).
   */
  paragraphs?: boolean;
  /** Half of the questions put a varied phrase between the key and the answer's "is" (see `gapQuestion`). Default false. */
  gapWords?: boolean;
}

/** k distinct draws of `draw` (retrying duplicates). */
function distinct(r: Rng, k: number, draw: (r: Rng) => string): string[] {
  const out = new Set<string>();
  while (out.size < k) out.add(draw(r));
  return [...out];
}

function fillers(r: Rng, n: number): string[] {
  return Array.from({ length: n }, () => r.pick(FILLER)(r));
}

/**
 * A copy drill: a line of nonsense words or digit groups, repeated twice more — with filler between, or
 * back to back (`gaps` false, the curriculum's form). Repeats of random sequences teach a small model to
 * copy from context (induction), which retrieval needs.
 */
function drill(r: Rng, gaps: boolean): string {
  const digits = r.chance(0.5);
  const items = Array.from(
    { length: 3 + r.int(6) },
    () => digits ? number(r, 2 + r.int(8)) : nonsenseWord(r),
  ).join(" ");
  const who = r.pick(PEOPLE);
  const gap = () => gaps ? fillers(r, r.int(5)).map((f) => f + " ").join("") : "";
  return `${gap()}${who} read out a line: ${items}. ${gap()}Then ${who} read it again: ${items}. ` +
    `${gap()}One more time: ${items}.`;
}

/**
 * Document `index` of corpus `seed`: key–value facts at random places among filler sentences, then a
 * question for each fact (random order, each on its own line) answered with the value.
 */
export function recallDocument(seed: number, index: number, opts: RecallCorpusOptions = {}): string {
  const r = createRng((seed ^ Math.imul(index + 1, 0x2c1b3c6d)) | 0);
  const early = index < (opts.drillDocs ?? 8000);
  // Drills stay frequent after the curriculum: a first run with 20% lost the paper's needle as it learned
  // the corpus's own questions (greedy magic-number retrieval 28% at step 2,800, 0% at 4,900).
  if (r.chance(early ? opts.curriculumChance ?? 0.95 : opts.drillChance ?? 0.4)) return drill(r, !early);
  const [fLo, fHi] = opts.filler ?? [0, 20], [kLo, kHi] = opts.facts ?? [1, 4];
  const keys = distinct(r, kLo + r.int(kHi - kLo + 1), key);
  const facts = keys.map((k) => ({ k, v: value(r) }));
  const body = fillers(r, fLo + r.int(fHi - fLo + 1));
  for (const f of facts) {
    const statement = r.chance(0.5) ? composedStatement(r, f.k, f.v) : r.pick(STATEMENTS)(f.k, f.v);
    body.splice(r.int(body.length + 1), 0, statement);
  }
  // Ask for a random non-empty subset, so the last fact is not always the one asked for.
  const asked = facts.filter(() => r.chance(0.7));
  if (asked.length === 0) asked.push(r.pick(facts));
  for (let i = asked.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [asked[i], asked[j]] = [asked[j], asked[i]];
  }
  const intro = r.chance(0.3) ? r.pick(INTROS) : "";
  const ask = (f: { k: string; v: string }) =>
    opts.gapWords && r.chance(0.5)
      ? gapQuestion(r, f.k, f.v)
      : r.chance(0.5)
      ? composedQuestion(r, f.k, f.v)
      : r.pick(QUESTIONS)(f.k, f.v);
  const questions = asked.map(ask).join("\n"); // drawn before the paragraphs: the same with and without
  return `${intro}${opts.paragraphs ? inParagraphs(r, body) : body.join(" ")}\n${questions}`;
}

/** Sentences in paragraphs of 4–11 (the haystack's sizes), a blank line between paragraphs. */
function inParagraphs(r: Rng, sentences: string[]): string {
  const paragraphs: string[] = [];
  for (let i = 0; i < sentences.length;) {
    const n = 4 + r.int(8);
    paragraphs.push(sentences.slice(i, i + n).join(" "));
    i += n;
  }
  return paragraphs.join("\n\n");
}

/**
 * Filler only, in paragraphs: the haystack needle tests hide their needle in for a model trained on this
 * corpus (no digits, no keys, so a needle's answer is never ambiguous). Deterministic in (seed, paragraphs).
 */
export function recallHaystack(seed: number, paragraphs: number): string {
  const r = createRng(seed ^ 0x3a9e51c7);
  return Array.from({ length: paragraphs }, () => fillers(r, 4 + r.int(8)).join(" ")).join("\n\n");
}
