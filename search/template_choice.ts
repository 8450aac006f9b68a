/**
 * The search's needle template when the user names none: the paper's numeric one (a 7-digit magic
 * number) wherever the model can use it, otherwise the pet-name template, with the reason. "Can use
 * it" is the validity check of `eval/needle.ts`: within the trained window, with the needle at the
 * start, does the needle lower the answer's loss by more than two standard errors? — and by at
 * least {@linkcode MIN_GAIN} nats per answer token: a needle the model barely uses passes the first
 * test on enough documents (facts837K's magic number: 0.001 ± 0.0003 nats on its search text) yet
 * cannot rank candidates. A template that fails would make every candidate's fitness noise.
 *
 * @module
 */
import type { Corpus } from "../eval/corpus.ts";
import type { LanguageModel } from "../eval/language_model.ts";
import { NEEDLE_TEMPLATES, needleValidity } from "../eval/needle.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";

/** The template the paper uses, and the one to fall back to. */
export const NUMERIC_TEMPLATE = "magic-number";
export const FALLBACK_TEMPLATE = "story-pet";

/** The least gain (nats per answer token, within L0) that makes a template worth searching with. */
export const MIN_GAIN = 0.1;

/** Which template, and why (one line for the user and the result). */
export interface TemplateChoice {
  template: string;
  reason: string;
}

/**
 * `requested` when given; else the numeric template if it passes the validity check on `part` (the
 * search's own text) with `samples` documents, else the fallback.
 */
export async function chooseTemplate(
  model: LanguageModel,
  part: Corpus,
  opts: { requested?: string; samples: number; seed: number },
): Promise<TemplateChoice> {
  if (opts.requested !== undefined) return { template: opts.requested, reason: "named with --template" };
  const original = builtinRegistry().get("default");
  const L0 = model.spec.originalContext;
  const table = buildTable(original, model.spec, { targetLength: L0, seqLen: L0 });
  const v = await needleValidity(model, () => table, part, {
    template: NEEDLE_TEMPLATES[NUMERIC_TEMPLATE],
    samples: opts.samples,
    seed: opts.seed,
    depth: 0,
  });
  return v.valid ? { template: NUMERIC_TEMPLATE, reason: `${NUMERIC_TEMPLATE}: ${v.message}` } : {
    template: FALLBACK_TEMPLATE,
    reason: `${FALLBACK_TEMPLATE}, because ${NUMERIC_TEMPLATE} is ${v.message}`,
  };
}
