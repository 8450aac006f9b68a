/**
 * The comparison's options, declared once: kind, bounds, default and help line of each. The CLI's
 * flags of `deno task compare` (cli/compare_flags.ts), the request schema of `POST /api/compare` and
 * its OpenAPI document (server/api_schemas.ts), the web page's form (its bounds and defaults come from
 * `GET /api/options`) and {@linkcode compare}'s own checks all derive from {@linkcode COMPARE_OPTIONS},
 * as a strategy's `ParamSpace` does for its parameters. Adding an option is one entry here plus its
 * use in `compare()` (see docs/architecture.md).
 *
 * @module
 */
import { METRIC_IDS } from "../eval/metrics/registry.ts";
import { NEEDLE_TEMPLATES } from "../eval/needle.ts";
import { RopekitError } from "../util/errors.ts";
import { EVAL_LIMITS } from "./limits.ts";

/** How an option's value is written and typed. */
export type OptionKind =
  | "integer"
  | "integers"
  | "numbers"
  | "choice"
  | "choices"
  | "text"
  | "margins";

/** One declared option of a comparison. */
export interface CompareOptionDef {
  kind: OptionKind;
  /** The CLI's placeholder for the value (`N`, `LIST`). */
  arg: string;
  /** One line of help (the CLI's help, the schema's description, the form's tooltip). */
  help: string;
  /** Each value's domain (every surface and `compare()` check it). */
  min?: number;
  max?: number;
  /**
   * The most one request or queue job may ask for (compare/limits.ts): the server and the form refuse
   * more, a local run on the command line may.
   */
  limit?: number;
  /** Lists: the most items one request may hold. */
  maxItems?: number;
  /** `choice`/`choices`: the allowed values (over HTTP; the CLI's template also takes a file). */
  values?: readonly string[];
  /** `choices`: what one value is called in messages ("metric"). */
  noun?: string;
  /** `text`: the longest value one request may send. */
  maxLength?: number;
  /** The value when the option is left out; absent when it is computed or means "none". */
  default?: number | readonly number[] | readonly string[];
  /** What leaving the option out means, for help, when there is no plain default. */
  defaultText?: string;
  /** The web form's first value, where a first run from the page should finish in seconds. */
  formDefault?: number | readonly number[] | readonly string[];
  /** The form's label; an option without one is not on the form. */
  label?: string;
  /** Only on the command line (not yet in the HTTP request). */
  cliOnly?: true;
}

/** The settings of a comparison, as each surface's user writes them. */
export const COMPARE_OPTIONS = {
  lengths: {
    kind: "integers",
    arg: "L1,L2,...",
    help: "evaluation lengths in tokens",
    min: 2,
    limit: EVAL_LIMITS.length,
    maxItems: EVAL_LIMITS.lengths,
    defaultText: "2·L0,4·L0",
    formDefault: [1024],
    label: "Lengths",
  },
  target: {
    kind: "integer",
    arg: "N",
    help: "length the strategies extend to (the command line refuses one below a length)",
    min: 2,
    limit: EVAL_LIMITS.length,
    defaultText: "each length is its own target",
  },
  metrics: {
    kind: "choices",
    arg: "LIST",
    help: `any of ${METRIC_IDS.join(",")}`,
    values: METRIC_IDS,
    noun: "metric",
    maxItems: METRIC_IDS.length,
    default: ["ppl", "needle", "short"],
    formDefault: ["ppl"],
    label: "Metrics",
  },
  samples: {
    kind: "integer",
    arg: "N",
    help: "windows / documents per length",
    min: 1,
    limit: EVAL_LIMITS.samples,
    default: 8,
    formDefault: 2,
    label: "Samples",
  },
  seed: {
    kind: "integer",
    arg: "S",
    help: "random seed",
    min: 0,
    limit: 2 ** 31 - 1,
    default: 0,
    label: "Seed",
  },
  template: {
    kind: "choice",
    arg: "T",
    help: `needle template: ${
      Object.keys(NEEDLE_TEMPLATES).join(", ")
    } (on the command line also a JSON file)`,
    values: Object.keys(NEEDLE_TEMPLATES),
    defaultText: "magic-number where the model passes its validity check, else story-pet",
  },
  digits: {
    kind: "integer",
    arg: "N",
    help: "digits of the magic number and the passkey",
    min: 1,
    max: 15,
    default: 7,
  },
  depths: {
    kind: "numbers",
    arg: "D1,D2,...",
    help: "needle depths in [0, 1]",
    min: 0,
    max: 1,
    maxItems: EVAL_LIMITS.depths,
    default: [0, 0.25, 0.5, 0.75],
  },
  reference: {
    kind: "text",
    arg: "LABEL",
    help: "compare every strategy against the strategy with this label",
    maxLength: 500,
    defaultText: "config when listed (the model's own RoPE), else the best per column",
  },
  primary: {
    kind: "text",
    arg: "METRIC@LEN",
    help: "a pre-registered primary column (e.g. pet-choice@1024), adjusted as its own family",
    cliOnly: true,
  },
  margin: {
    kind: "margins",
    arg: "M=X,...",
    help: "equivalence margins in each metric's score unit, e.g. ppl=0.05",
    min: 0,
    defaultText: "ppl/needle/short 0.02 nats, passkey/pet-choice 0.1 = 10 points",
    cliOnly: true,
  },
} as const satisfies Record<string, CompareOptionDef>;

/** The name of a declared option (also its CLI flag and its request field). */
export type CompareOptionName = keyof typeof COMPARE_OPTIONS;

/** The declared options, in declaration order (help and schema list them so). */
export const COMPARE_OPTION_NAMES = Object.keys(COMPARE_OPTIONS) as CompareOptionName[];

/** The options a request to the server carries (all but the command line's own). */
export const HTTP_OPTION_NAMES: CompareOptionName[] = COMPARE_OPTION_NAMES.filter((n) =>
  !(COMPARE_OPTIONS[n] as CompareOptionDef).cliOnly
);

/** The declaration of `name`, as the general shape. */
export function optionDef(name: CompareOptionName): CompareOptionDef {
  return COMPARE_OPTIONS[name];
}

type ValueOf<K extends OptionKind> = K extends "integer" ? number
  : K extends "integers" | "numbers" ? number[]
  : K extends "choices" ? string[]
  : K extends "margins" ? Record<string, number>
  : string;

/** The typed value of each option, as parsed from its written form. */
export type CompareOptionValues = {
  [K in CompareOptionName]?: ValueOf<(typeof COMPARE_OPTIONS)[K]["kind"]>;
};

/** An option value out of its declared domain; the message names the option. */
export class CompareOptionError extends RopekitError {
  override name = "CompareOptionError";
}

/** The largest value one request may send: the domain's bound or the shared limit, the smaller. */
export function requestMax(def: CompareOptionDef): number | undefined {
  const bounds = [def.max, def.limit].filter((x): x is number => x !== undefined);
  return bounds.length ? Math.min(...bounds) : undefined;
}

/** Why one value breaks the option's domain (without the value), or undefined. */
function itemProblem(def: CompareOptionDef, x: unknown): string | undefined {
  if (def.kind === "choices" || def.kind === "choice") {
    return typeof x === "string" && def.values!.includes(x)
      ? undefined
      : `unknown ${def.noun ?? "value"} (known: ${def.values!.join(", ")})`;
  }
  if (def.kind === "numbers") {
    const ok = typeof x === "number" && Number.isFinite(x) && !(x < def.min!) && !(x > def.max!);
    return ok ? undefined : `values must lie in [${def.min}, ${def.max}]`;
  }
  // integer, integers
  const words = def.min === 0
    ? "a non-negative integer"
    : def.min! >= 1
    ? "a positive integer"
    : "an integer";
  if (typeof x !== "number" || !Number.isInteger(x) || x < Math.min(def.min!, 1)) {
    return `must be ${words}`;
  }
  if (x < def.min!) return `must be at least ${def.min}`;
  if (def.max !== undefined && x > def.max) return `must be at most ${def.max}`;
  return undefined;
}

/** The written form of a value in messages: what the user typed, quoted. */
const shown = (x: unknown) => JSON.stringify(typeof x === "number" ? String(x) : x);

/**
 * Why `value` breaks the domain declared for `name` (not the per-request limits), or undefined.
 * `compare()` and the CLI check through here; the server's schema carries the same bounds.
 */
export function optionProblem(name: CompareOptionName, value: unknown): string | undefined {
  const def = optionDef(name);
  switch (def.kind) {
    case "integer": {
      const why = itemProblem(def, value);
      return why && `${why}, got ${shown(value)}`;
    }
    case "integers":
    case "numbers":
    case "choices": {
      if (!Array.isArray(value) || value.length === 0) return "needs at least one value";
      for (const x of value) {
        const why = itemProblem(def, x);
        if (why) {
          return def.kind === "choices" ? why.replace(" (", ` ${shown(x)} (`) : `${why}, got ${shown(x)}`;
        }
      }
      if (def.kind === "choices" && new Set(value).size !== value.length) return "a value is listed twice";
      return undefined;
    }
    case "margins": {
      for (const [k, x] of Object.entries(value as Record<string, number>)) {
        if (!(typeof x === "number" && x > def.min!)) {
          return `takes METRIC=X with a compared metric and X > ${def.min}, got "${k}=${x}"`;
        }
      }
      return undefined;
    }
    default:
      return typeof value === "string" ? undefined : `must be a string, got ${shown(value)}`;
  }
}

/** Throws a {@linkcode CompareOptionError} `name: why` when `value` is given and out of its domain. */
export function checkOption(name: CompareOptionName, value: unknown): void {
  if (value === undefined) return;
  const why = optionProblem(name, value);
  if (why) throw new CompareOptionError(`${name}: ${why}`, { field: name });
}

const items = (raw: string) => raw.split(",").map((s) => s.trim());

/**
 * The typed value of an option from its written form (a flag's text), checked against its domain;
 * throws `Error(why)`, where `why` reads after the flag's name ("must be …", ": unknown …").
 */
export function parseOptionText<K extends CompareOptionName>(
  name: K,
  raw: string,
): ValueOf<(typeof COMPARE_OPTIONS)[K]["kind"]> {
  const def = optionDef(name);
  const num = (s: string) => (s.trim() === "" ? NaN : Number(s));
  let value: unknown;
  switch (def.kind) {
    case "integer":
      value = num(raw);
      if (Number.isNaN(value)) throw new Error(`${itemProblem(def, raw)}, got ${shown(raw)}`);
      break;
    case "integers":
    case "numbers": {
      const parts = def.kind === "integers" ? items(raw).filter(Boolean) : raw.split(",");
      const bad = parts.find((s) => itemProblem(def, num(s)) !== undefined);
      if (bad !== undefined) throw new Error(`${itemProblem(def, num(bad))}, got ${shown(bad)}`);
      value = parts.map(num);
      break;
    }
    case "choices":
      value = items(raw);
      break;
    case "margins": {
      const out: Record<string, number> = {};
      for (const item of items(raw).filter(Boolean)) {
        const [id, x] = item.split("=");
        const v = num(x ?? "");
        if (!id || !(v > def.min!)) {
          throw new Error(`takes METRIC=X with a compared metric and X > ${def.min}, got "${item}"`);
        }
        out[id] = v;
      }
      value = out;
      break;
    }
    default:
      value = raw;
  }
  const why = optionProblem(name, value);
  if (why) throw new Error(why.startsWith("must") || why.startsWith("takes") ? why : `: ${why}`);
  return value as ValueOf<(typeof COMPARE_OPTIONS)[K]["kind"]>;
}

/** What leaving an option out means, in words (help, schema descriptions). */
export function defaultInWords(def: CompareOptionDef): string | undefined {
  if (def.default !== undefined) {
    return Array.isArray(def.default) ? def.default.join(",") : String(def.default);
  }
  return def.defaultText;
}

/** The comparison settings a request or a command line leaves out, the same for the CLI and the server. */
export const COMPARE_DEFAULTS = {
  metrics: COMPARE_OPTIONS.metrics.default,
  samples: COMPARE_OPTIONS.samples.default,
  seed: COMPARE_OPTIONS.seed.default,
  digits: COMPARE_OPTIONS.digits.default,
  depths: COMPARE_OPTIONS.depths.default,
} as const;

/** One field of the web form, as `GET /api/options` sends it (bounds over HTTP, first value). */
export interface FormField {
  name: CompareOptionName;
  label: string;
  help: string;
  min?: number;
  max?: number;
  /** The first value: a number, or a list (lengths, metrics). */
  value: number | readonly number[] | readonly string[];
}

/** The fields of the web page's comparison form, derived from the declaration. */
export function formFields(): FormField[] {
  return COMPARE_OPTION_NAMES.flatMap((name) => {
    const def = optionDef(name);
    if (!def.label || def.cliOnly) return [];
    const value = def.formDefault ?? def.default;
    if (value === undefined) return [];
    return [{
      name,
      label: def.label,
      help: def.help,
      ...(def.min !== undefined ? { min: def.min } : {}),
      ...(requestMax(def) !== undefined ? { max: requestMax(def) } : {}),
      value,
    }];
  });
}
