/**
 * `pet-choice`: the `story-pet` needle retrieved by greedy decoding — a choice among the template's ten
 * pet names, so chance is about 10%, not a numeric passkey. Column: accuracy (higher is better).
 *
 * @module
 */
import { NEEDLE_TEMPLATES } from "../needle.ts";
import { retrievalMetric } from "./retrieval.ts";

/** The pet-name choice. */
export const petChoiceMetric = retrievalMetric({
  id: "pet-choice",
  description: "pet-name retrieval by greedy decoding: one of ten names, chance ≈ 10% (higher is better)",
  // The document seed the former `passkey` (this same task) used, so its numbers carry over.
  salt: 202,
  template: () => NEEDLE_TEMPLATES["story-pet"],
  note: () => `"story-pet" needle: the answer is one of 10 pet names, so chance is about 10%`,
});
