/**
 * A generated corpus whose documents need their whole length: facts (a pet's name, a magic number)
 * are stated at random places and asked for at the end, after filler of a chosen length. A model
 * trained on it must look back as far as its window reaches, which is what context extension needs
 * to show (stories260K barely uses distant context). The fact and question sentences include the
 * exact forms of ropekit's needle templates (`eval/templates/story-pet.json`, `magic-number.json`), so
 * the needle tests measure the skill the model was trained for; filler never states a fact.
 *
 * Document `i` of a seed depends only on (seed, i, options): a data position is an index and offset.
 *
 * @module
 */
import { createRng, type Rng } from "../util/random.ts";

/** The story-pet template's owners, animals and names come first; the rest widen the choice. */
const OWNERS = [
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
  "Finn",
];
const ANIMALS = ["dog", "cat", "bird", "fish", "bunny", "frog", "turtle", "pony", "duck", "mouse"];
const PET_NAMES = [
  "Spot",
  "Fluffy",
  "Buddy",
  "Coco",
  "Bella",
  "Rex",
  "Daisy",
  "Lucky",
  "Pip",
  "Bubbles",
  "Bolt",
  "Ginger",
  "Pepper",
  "Rosie",
  "Shadow",
  "Sunny",
  "Oscar",
  "Milo",
  "Luna",
  "Ziggy",
];
/** The magic-number template's keys first. */
const KEYS = [
  "wandering-age",
  "silent-river",
  "amber-forest",
  "quiet-storm",
  "golden-field",
  "hollow-moon",
  "bright-sky",
  "old-bridge",
  "red-apple",
  "lost-key",
  "deep-lake",
  "tall-tower",
];
const PLACES = [
  "the park",
  "the river",
  "the garden",
  "the forest",
  "the beach",
  "the town",
  "the hill",
  "the farm",
];
const FEELINGS = ["happy", "sleepy", "hungry", "brave", "curious", "excited", "calm", "proud"];
const THINGS = ["ball", "kite", "hat", "box", "cup", "book", "boat", "drum", "shell", "leaf"];
const COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "white"];
const FOODS = ["bread", "apples", "soup", "cake", "rice", "berries", "cheese"];
const PEOPLE = ["a girl", "a boy", "an old man", "a little baby", "a kind woman", "the teacher", "a farmer"];

/** Filler: everyday sentences that never name a pet or a number, so they cannot answer a question. */
const FILLER: ((r: Rng) => string)[] = [
  (r) => `The sun was warm over ${r.pick(PLACES)}.`,
  (r) => `${cap(r.pick(PEOPLE))} walked to ${r.pick(PLACES)} and felt ${r.pick(FEELINGS)}.`,
  (r) => `Some children sang a song near ${r.pick(PLACES)}.`,
  (r) => `The wind moved the leaves, and everyone felt ${r.pick(FEELINGS)}.`,
  (r) => `Later they looked at the clouds above ${r.pick(PLACES)}.`,
  (r) => `${cap(r.pick(PEOPLE))} found a ${r.pick(COLORS)} ${r.pick(THINGS)} on the ground.`,
  () => `It started to rain for a little while, then the sky was clear again.`,
  (r) => `They ate some ${r.pick(FOODS)} and drank ${r.pick(["milk", "water", "juice", "tea"])}.`,
  (r) => `${cap(r.pick(PEOPLE))} smiled and said hello to ${r.pick(PEOPLE)}.`,
  (r) => `A ${r.pick(FEELINGS)} ${r.pick(ANIMALS)} ran past a tall tree.`,
  (r) => `At ${r.pick(PLACES)}, ${r.pick(PEOPLE)} played with a ${r.pick(THINGS)}.`,
  (r) => `The day was long, and ${r.pick(PEOPLE)} took a nap under a tree.`,
  (r) => `${cap(r.pick(PEOPLE))} counted the birds and laughed.`,
  (r) => `There was a ${r.pick(COLORS)} flower next to the path to ${r.pick(PLACES)}.`,
  (r) => `Everyone helped to carry the ${r.pick(FOODS)} home.`,
  () => `The stars came out one by one, and the night was quiet.`,
];

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

/** Options of {@linkcode factDocument}. */
export interface FactCorpusOptions {
  /** Filler sentences per document: uniform in [min, max]. Default [0, 18]. */
  filler?: [number, number];
  /** Pet facts per document: uniform in [min, max]. Default [1, 2]. */
  pets?: [number, number];
  /**
   * Magic numbers per document: uniform in [min, max]. Default [0, 1]. Asking for a 7-digit number
   * is a copy task (six of its digits follow from the first by induction); we measured that without
   * enough of them a small model trained 1.8M tokens without learning to look back at all.
   */
  numbers?: [number, number];
  /**
   * Probability that a document has a song: a random sequence of 6–14 words sung once and repeated at
   * the end. Default 0.5. Repeats of random sequences are what teaches a small model to copy from
   * context (induction); with only the facts, a 4-layer model had not started after 1.2M tokens, while
   * on repeats alone the same engine learns to copy within 150 steps.
   */
  songChance?: number;
  /**
   * Probability that a document is a copy drill instead: a song of random words sung, then sung again
   * twice, with a little filler between. Default 0.3, and 0.9 for the first `drillDocs` documents.
   */
  drillChance?: number;
  /**
   * Documents at the start of the corpus that are mostly (90%) drills: a curriculum in the data, so a
   * run learns to copy from context first. Default 8,000 (about 500 steps of 8×256 tokens). We measured
   * why: with facts, numbers and songs alone (~5% of tokens copyable) the default model had not
   * started copying after 2.4M tokens, nor with 30% drills after 1.2M, while on repeats alone the same
   * model copies within 200 steps.
   */
  drillDocs?: number;
}

/** k distinct picks from `items`. */
function distinct<T>(r: Rng, items: readonly T[], k: number): T[] {
  const pool = [...items];
  return Array.from({ length: k }, () => pool.splice(r.int(pool.length), 1)[0]);
}

/** A fact: its statement, and its question with the answer (asked on a new line at the end). */
interface Fact {
  statement: string;
  question: string;
}

function petFact(r: Rng, owner: string, animal: string, name: string): Fact {
  const statement = r.chance(0.6)
    ? `${owner} had a pet ${animal}. The ${animal} was named ${name}.` // the story-pet needle
    : `${owner} had a ${animal} called ${name}.`;
  const question = r.chance(0.6)
    ? `${owner} loved the pet ${animal} very much. The name of the ${animal} was ${name}.` // its question
    : `What was the name of the ${animal} that ${owner} had? It was ${name}.`;
  return { statement, question };
}

const SONG_WORDS = [
  ...COLORS,
  ...THINGS,
  ...FOODS,
  ...ANIMALS,
  "sun",
  "moon",
  "star",
  "tree",
  "rain",
  "snow",
  "hill",
  "road",
  "door",
  "bell",
  "song",
  "dance",
  "jump",
  "run",
  "sleep",
  "sing",
];

function songFact(r: Rng, singer: string): Fact {
  const words = Array.from({ length: 6 + r.int(9) }, () => r.pick(SONG_WORDS)).join(" ");
  return {
    statement: `${singer} sang a funny song: ${words}.`,
    question: `What did ${singer} sing? ${singer} sang: ${words}.`,
  };
}

const CONSONANTS = "bdfgklmnprstvz", VOWELS = "aeiou";

/** A nonsense word of 2–3 random syllables: unguessable, so only copying predicts its repeat. */
function nonsenseWord(r: Rng): string {
  let w = "";
  for (let i = 2 + r.int(2); i > 0; i--) {
    w += CONSONANTS[r.int(CONSONANTS.length)] + VOWELS[r.int(VOWELS.length)];
  }
  return w;
}

/** A copy drill: one song of nonsense words, then the same song twice more, a few filler sentences apart. */
function drill(r: Rng): string {
  const singer = r.pick(OWNERS);
  const words = Array.from({ length: 4 + r.int(9) }, () => nonsenseWord(r)).join(" ");
  const filler = () => Array.from({ length: r.int(4) }, () => r.pick(FILLER)(r)).map((f) => f + " ").join("");
  return `${filler()}${singer} sang a funny song: ${words}. ${filler()}Then ${singer} sang it again: ${words}. ` +
    `${filler()}And once more: ${words}.`;
}

function numberFact(r: Rng, key: string): Fact {
  const number = String(1_000_000 + r.int(9_000_000));
  return {
    statement: `One of the special magic numbers for ${key} is: ${number}.`,
    question: `What is the special magic number for ${key} mentioned in the provided text? ` +
      `The special magic number for ${key} mentioned in the provided text is ${number}.`,
  };
}

/**
 * Document `index` of corpus `seed`: facts at random places among the filler sentences, then one
 * question per fact (in random order), each on its own line.
 */
export function factDocument(seed: number, index: number, opts: FactCorpusOptions = {}): string {
  const r = createRng((seed ^ Math.imul(index + 1, 0x2545f491)) | 0);
  if (r.chance(index < (opts.drillDocs ?? 8000) ? 0.9 : opts.drillChance ?? 0.3)) return drill(r);
  const [fLo, fHi] = opts.filler ?? [0, 18],
    [pLo, pHi] = opts.pets ?? [1, 2],
    [nLo, nHi] = opts.numbers ?? [0, 1];
  const pets = pLo + r.int(pHi - pLo + 1);
  const owners = distinct(r, OWNERS, pets), animals = distinct(r, ANIMALS, pets);
  const facts = owners.map((o, i) => petFact(r, o, animals[i], r.pick(PET_NAMES)));
  const keys = distinct(r, KEYS, nLo + r.int(nHi - nLo + 1));
  for (const key of keys) facts.push(numberFact(r, key));
  if (r.chance(opts.songChance ?? 0.5)) facts.push(songFact(r, r.pick(OWNERS)));
  const withNumber = keys.length > 0;
  const body = Array.from({ length: fLo + r.int(fHi - fLo + 1) }, () => r.pick(FILLER)(r));
  for (const f of facts) body.splice(r.int(body.length + 1), 0, f.statement);
  const questions = distinct(r, facts, facts.length).map((f) => f.question);
  const intro = withNumber && r.chance(0.5)
    ? "A special magic number is hidden within the following text. Make sure to memorize it. " +
      "I will quiz you about the number afterwards.\n"
    : "";
  return `${intro}${body.join(" ")}\n${questions.join("\n")}`;
}

/**
 * Filler only, in paragraphs: the haystack the needle tests hide their needle in (no competing facts,
 * so a needle's answer is never ambiguous). Deterministic in (seed, paragraphs).
 */
export function haystackText(seed: number, paragraphs: number): string {
  const r = createRng(seed ^ 0x51ed270b);
  return Array.from(
    { length: paragraphs },
    () => Array.from({ length: 4 + r.int(8) }, () => r.pick(FILLER)(r)).join(" "),
  ).join("\n\n");
}
