/**
 * Procedurally generated stories with long-range facts, so a model can be trained with no downloads
 * and the facts test whether it uses distant context: a character, their pet and an object's colour
 * are stated in the first sentences, filler sentences follow, and the last sentences ask for and
 * state the facts again. Story `i` of a seed depends only on (seed, i), so a data position is just a
 * story index and an offset.
 *
 * @module
 */
import { createRng, type Rng } from "../util/random.ts";

const NAMES = ["Lily", "Tom", "Mia", "Ben", "Zoe", "Max", "Sara", "Leo", "Anna", "Sam", "Emma", "Jack"];
const PETS = ["dog", "cat", "bird", "frog", "rabbit", "fish", "turtle", "pony"];
const PET_NAMES = ["Spot", "Whiskers", "Pip", "Bubbles", "Coco", "Rex", "Daisy", "Bolt"];
const OBJECTS = ["ball", "kite", "hat", "box", "cup", "book", "boat", "drum"];
const COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "white"];
const PLACES = ["the park", "the river", "the garden", "the forest", "the beach", "the town", "the hill"];
const FEELINGS = ["happy", "sleepy", "hungry", "brave", "curious", "excited", "calm"];
const FILLER = [
  (r: Rng) => `The sun was warm over ${r.pick(PLACES)}.`,
  (r: Rng) => `A ${r.pick(FEELINGS)} ${r.pick(PETS)} ran past a tall tree.`,
  (r: Rng) => `Some children sang a song near ${r.pick(PLACES)}.`,
  (r: Rng) => `The wind moved the leaves, and everyone felt ${r.pick(FEELINGS)}.`,
  (r: Rng) => `Later they walked to ${r.pick(PLACES)} and looked at the clouds.`,
  (r: Rng) => `A friend brought a ${r.pick(COLORS)} ${r.pick(OBJECTS)} to share.`,
  () => `It started to rain for a little while, then the sky was clear.`,
  (r: Rng) => `They ate some bread and drank ${r.pick(["milk", "water", "juice"])}.`,
];

/** Options of {@linkcode story}. */
export interface StoryOptions {
  /** Filler sentences between the facts and the questions: uniform in [min, max]. Default [2, 20]. */
  minFiller?: number;
  maxFiller?: number;
}

/** Story number `index` of the corpus `seed`. */
export function story(seed: number, index: number, opts: StoryOptions = {}): string {
  const r = createRng((seed ^ Math.imul(index + 1, 0x9e3779b1)) | 0);
  const name = r.pick(NAMES), pet = r.pick(PETS), petName = r.pick(PET_NAMES);
  const object = r.pick(OBJECTS), color = r.pick(COLORS), place = r.pick(PLACES);
  const lo = opts.minFiller ?? 2, hi = opts.maxFiller ?? 20;
  const filler = Array.from({ length: lo + r.int(hi - lo + 1) }, () => r.pick(FILLER)(r));
  return [
    `Once upon a time, there was a child named ${name}.`,
    `${name} had a ${pet} called ${petName} and a ${color} ${object}.`,
    `One day, ${name} and ${petName} went to ${place}.`,
    ...filler,
    `At the end of the day, ${name} went home.`,
    `What was the name of the ${pet}? The ${pet} was called ${petName}.`,
    `What color was the ${object}? The ${object} was ${color}.`,
  ].join(" ");
}
