/**
 * The search's needle template when the user names none: `chooseNeedleTemplate` of `eval/needle.ts` (the
 * paper's 7-digit magic number wherever the model can use it, else the pet-name template, with the
 * reason), run on the search's own text with the model's original RoPE.
 *
 * @module
 */
import type { Corpus } from "../eval/corpus.ts";
import type { LanguageModel } from "../eval/language_model.ts";
import { chooseNeedleTemplate } from "../eval/needle.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";

/** Which template, and why (one line for the user and the result). */
export interface TemplateChoice {
  template: string;
  reason: string;
}

/** The number of digits of the paper's magic number. */
export const MAGIC_NUMBER_DIGITS = 7;

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
  const L0 = model.spec.originalContext;
  const table = buildTable(builtinRegistry().get("default"), model.spec, { targetLength: L0, seqLen: L0 });
  const choice = await chooseNeedleTemplate(model, () => table, part, {
    digits: MAGIC_NUMBER_DIGITS,
    samples: opts.samples,
    seed: opts.seed,
  });
  return { template: choice.template.name, reason: choice.note };
}
