/**
 * The search's needle template, checked before any candidate is scored: the one named with `--template`,
 * else `chooseNeedleTemplate` of `eval/needle.ts` (the paper's 7-digit magic number wherever the model can
 * use it, else the pet-name template). Either way the template must pass the validity check on the
 * search's own text with the model's original RoPE (within L0, the needle lowers the answer's NLL): a
 * template the model cannot use even there makes every candidate's fitness noise, so searching on it is
 * an error unless the caller allows it (`--allow-invalid-needle`).
 *
 * @module
 */
import type { Corpus } from "../eval/corpus.ts";
import type { LanguageModel } from "../eval/language_model.ts";
import { chooseNeedleTemplate, NEEDLE_TEMPLATES, NeedleError } from "../eval/needle.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";

/** Which template, why (one line for the user and the result), and whether it passed the validity check. */
export interface TemplateChoice {
  /** The template's name. */
  template: string;
  /** Why it was chosen, in one line. */
  reason: string;
  /** Whether it passed the validity check within L0. */
  valid: boolean;
}

/** A needle template that fails the validity check, refused for search. */
export class InvalidNeedleError extends NeedleError {
  /** The class name, as `String(error)` shows it. */
  override name = "InvalidNeedleError";
}

/** The number of digits of the paper's magic number. */
export const MAGIC_NUMBER_DIGITS = 7;

/**
 * `requested` when given, else the numeric template if it passes the validity check on `part` (the
 * search's own text) with `samples` documents, else the fallback; then refuses a template that fails
 * the check, unless `allowInvalid`.
 */
export async function chooseTemplate(
  model: LanguageModel,
  part: Corpus,
  opts: { requested?: string; samples: number; seed: number; allowInvalid?: boolean },
): Promise<TemplateChoice> {
  const requested = opts.requested === undefined ? undefined : NEEDLE_TEMPLATES[opts.requested];
  if (opts.requested !== undefined && !requested) {
    throw new NeedleError(
      `unknown needle template "${opts.requested}" (known: ${Object.keys(NEEDLE_TEMPLATES).join(", ")})`,
      { field: "template" },
    );
  }
  const L0 = model.spec.originalContext;
  const table = buildTable(builtinRegistry().get("default"), model.spec, { targetLength: L0, seqLen: L0 });
  const choice = await chooseNeedleTemplate(model, () => table, part, {
    template: requested,
    digits: MAGIC_NUMBER_DIGITS,
    samples: opts.samples,
    seed: opts.seed,
  });
  const name = choice.template.name;
  const reason = requested ? `named with --template; ${choice.note}` : choice.note;
  if (!choice.validity.valid && !opts.allowInvalid) {
    throw new InvalidNeedleError(
      `needle template "${name}" fails the validity check on this model (${
        choice.validity.message.replace(/ — .*$/, "")
      }): a search on it would rank noise; pass --allow-invalid-needle to search anyway`,
      { field: "template" },
    );
  }
  return {
    template: name,
    reason: choice.validity.valid ? reason : `${reason} (searching anyway: --allow-invalid-needle)`,
    valid: choice.validity.valid,
  };
}
