/**
 * `passkey`: a numeric pass key (7 digits unless `digits` says otherwise) hidden in filler, retrieved by
 * greedy decoding; a document counts only when every digit matches. Column: accuracy (higher is better).
 *
 * @module
 */
import { NEEDLE_TEMPLATES, withDigits } from "../needle.ts";
import { retrievalMetric } from "./retrieval.ts";

/** Numeric passkey retrieval. */
export const passkeyMetric = retrievalMetric({
  id: "passkey",
  description: "numeric passkey retrieval: greedy decoding, exact match of all digits (higher is better)",
  salt: 404,
  template: (ctx) => withDigits(NEEDLE_TEMPLATES.passkey, ctx.digits),
  note: (t) => {
    const digits = Object.values(t.vars).find((v) => "digits" in v) as { digits: number };
    return `${digits.digits}-digit pass key in filler; a hit needs every digit (chance ≈ 0)`;
  },
});
