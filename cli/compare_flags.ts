/**
 * The flags of `deno task compare` that set the comparison, derived from the one declaration
 * (compare/options.ts): their `parseArgs` options, their help lines, and their typed values with
 * the declared defaults filled in. Errors name the flag.
 *
 * @module
 */
import {
  COMPARE_DEFAULTS,
  COMPARE_OPTION_NAMES,
  COMPARE_OPTIONS,
  type CompareOptionName,
  type CompareOptionValues,
  defaultInWords,
  optionDef,
  parseOptionText,
} from "../compare/options.ts";
import { CliError } from "./cli_error.ts";

/** The `parseArgs` options of the declared comparison options (each a string flag). */
export const COMPARE_FLAG_OPTIONS = Object.fromEntries(
  COMPARE_OPTION_NAMES.map((n) => [n, { type: "string" }]),
) as { readonly [K in CompareOptionName]: { readonly type: "string" } };

/** Width of the flag column in every command's help, and of a help line. */
const FLAG_COLUMN = 23;
const LINE = 106;

/** `text` broken at spaces into lines that fit beside the flag column. */
function wrap(text: string): string {
  const lines = [""];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (lines[last] && 2 + FLAG_COLUMN + lines[last].length + 1 + word.length > LINE) lines.push(word);
    else lines[last] += (lines[last] ? " " : "") + word;
  }
  return lines.join(`\n${" ".repeat(2 + FLAG_COLUMN)}`);
}

/** The help lines of the declared options: `--flag ARG  help (default: …)`. */
export function compareFlagUsage(): string {
  return COMPARE_OPTION_NAMES.map((name) => {
    const def = optionDef(name);
    const d = defaultInWords(def);
    return `  ${`--${name} ${def.arg}`.padEnd(FLAG_COLUMN)}${
      wrap(`${def.help}${d === undefined ? "" : ` (default: ${d})`}`)
    }`;
  }).join("\n");
}

/** The comparison settings the flags give, typed, with the declared defaults filled in. */
export type CompareFlagValues =
  & Omit<CompareOptionValues, "metrics" | "samples" | "seed">
  & { metrics: string[]; samples: number; seed: number };

/** Parses and checks the declared flags among `values` (strings from {@linkcode parseFlags}). */
export function compareFlagValues(values: { [K in CompareOptionName]?: string }): CompareFlagValues {
  const out: Record<string, unknown> = {};
  for (const name of COMPARE_OPTION_NAMES) {
    const raw = values[name];
    if (raw === undefined) continue;
    try {
      out[name] = parseOptionText(name, raw);
    } catch (e) {
      const why = (e as Error).message;
      throw new CliError(`--${name}${why.startsWith(":") ? "" : " "}${why}`);
    }
  }
  const v = out as CompareOptionValues;
  const metrics = v.metrics ?? [...COMPARE_DEFAULTS.metrics];
  // Cross-option checks: what --primary and --margin name must be a compared metric.
  if (v.primary !== undefined) {
    const [m, len] = v.primary.split("@");
    if (!metrics.includes(m) || !len) {
      throw new CliError(`--primary must be METRIC@LENGTH of a compared metric, got "${v.primary}"`);
    }
  }
  for (const id of Object.keys(v.margin ?? {})) {
    if (!metrics.includes(id)) {
      throw new CliError(
        `--margin takes METRIC=X with a compared metric, got "${id}" (compared: ${metrics})`,
      );
    }
  }
  return {
    ...v,
    metrics,
    samples: v.samples ?? COMPARE_OPTIONS.samples.default,
    seed: v.seed ?? COMPARE_OPTIONS.seed.default,
  };
}
