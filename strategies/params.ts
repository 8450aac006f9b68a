/**
 * Declared parameters: validation against a {@linkcode ParamSpace}, defaults, and parsing of
 * `k=v` strings from the command line. One implementation serves the CLI, the server and search.
 *
 * @module
 */
import type { ParamDef, Params, ParamSpace, ParamValue, RopeSpec } from "./types.ts";
import { RopekitError } from "../util/errors.ts";

/** Thrown for a bad parameter; the message names the strategy and the parameter. */
export class ParamError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "ParamError";
}

function describeRange(def: ParamDef): string {
  if (def.type !== "number" && def.type !== "integer") return "";
  const lo = def.min === undefined
    ? ""
    : `${"exclusiveMin" in def && def.exclusiveMin ? ">" : "≥"} ${def.min}`;
  const hi = def.max === undefined ? "" : `≤ ${def.max}`;
  return [lo, hi].filter(Boolean).join(" and ");
}

function checkValue(strategy: string, key: string, def: ParamDef, v: unknown, spec?: RopeSpec): ParamValue {
  const where = `Strategy "${strategy}": parameter "${key}"`;
  switch (def.type) {
    case "number":
    case "integer": {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new ParamError(`${where} must be a finite number, got ${JSON.stringify(v)}`);
      }
      if (def.type === "integer" && !Number.isInteger(v)) {
        throw new ParamError(`${where} must be an integer, got ${v}`);
      }
      const exclusive = def.type === "number" && def.exclusiveMin === true;
      const belowMin = def.min !== undefined && (exclusive ? v <= def.min : v < def.min);
      if (belowMin || (def.max !== undefined && v > def.max)) {
        throw new ParamError(`${where} = ${v} is out of range (${describeRange(def)})`);
      }
      return v;
    }
    case "boolean":
      if (typeof v !== "boolean") {
        throw new ParamError(`${where} must be true or false, got ${JSON.stringify(v)}`);
      }
      return v;
    case "enum":
      if (typeof v !== "string" || !def.values.includes(v)) {
        throw new ParamError(`${where} must be one of ${def.values.join(", ")}, got ${JSON.stringify(v)}`);
      }
      return v;
    case "factors": {
      if (!Array.isArray(v)) throw new ParamError(`${where} must be an array of numbers`);
      v.forEach((x, i) => {
        if (typeof x !== "number" || !Number.isFinite(x)) {
          throw new ParamError(`${where}[${i}] must be a finite number, got ${JSON.stringify(x)}`);
        }
        if (def.min !== undefined && x < def.min) {
          throw new ParamError(`${where}[${i}] = ${x} is below ${def.min}`);
        }
      });
      if (spec && v.length !== spec.rotaryDim / 2) {
        throw new ParamError(
          `${where} has ${v.length} entries, expected rotary_dim/2 = ${spec.rotaryDim / 2}`,
        );
      }
      return v as number[];
    }
  }
}

/**
 * Validates `given` against `space`: rejects unknown names and bad values, fills declared defaults.
 * Optional parameters without a default stay undefined (the strategy derives them).
 * With `spec`, factor arrays are also checked for length rotary_dim/2.
 */
export function resolveParams(
  strategy: string,
  space: ParamSpace,
  given: Params = {},
  spec?: RopeSpec,
): Params {
  for (const key of Object.keys(given)) {
    if (!(key in space)) {
      const known = Object.keys(space);
      throw new ParamError(
        `Strategy "${strategy}": unknown parameter "${key}"` +
          (known.length ? ` (known: ${known.join(", ")})` : " (it takes no parameters)"),
      );
    }
  }
  const out: Params = {};
  for (const [key, def] of Object.entries(space)) {
    const v = given[key] ?? def.default;
    if (v === undefined) {
      if (!def.optional) throw new ParamError(`Strategy "${strategy}": missing required parameter "${key}"`);
      continue;
    }
    out[key] = checkValue(strategy, key, def, v, spec);
  }
  return out;
}

/**
 * Parses `k=v` strings (CLI `--param`) into typed values using the declared types:
 * numbers, `true`/`false`, enum strings, and JSON arrays (`long_factor=[1,1.5,2]`).
 *
 * @example Typed values from `--param` strings
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseParamArgs } from "./params.ts";
 * import { builtinRegistry } from "./registry.ts";
 *
 * const yarn = builtinRegistry().get("yarn");
 * const params = parseParamArgs("yarn", yarn.params, ["beta_fast=16", "truncate=false"]);
 * assert.deepEqual(params, { beta_fast: 16, truncate: false });
 * assert.throws(() => parseParamArgs("yarn", yarn.params, ["beta=16"]), /unknown parameter "beta"/);
 * ```
 */
export function parseParamArgs(strategy: string, space: ParamSpace, args: string[]): Params {
  const out: Params = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new ParamError(`Strategy "${strategy}": parameter "${arg}" must look like name=value`);
    const key = arg.slice(0, eq).trim();
    const raw = arg.slice(eq + 1).trim();
    const def = space[key];
    if (!def) {
      const known = Object.keys(space);
      throw new ParamError(
        `Strategy "${strategy}": unknown parameter "${key}"` +
          (known.length ? ` (known: ${known.join(", ")})` : " (it takes no parameters)"),
      );
    }
    out[key] = parseOne(strategy, key, def, raw);
  }
  return out;
}

function parseOne(strategy: string, key: string, def: ParamDef, raw: string): ParamValue {
  const where = `Strategy "${strategy}": parameter "${key}"`;
  switch (def.type) {
    case "number":
    case "integer": {
      const v = raw === "" ? NaN : Number(raw);
      if (!Number.isFinite(v)) throw new ParamError(`${where} must be a finite number, got "${raw}"`);
      return v;
    }
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw new ParamError(`${where} must be true or false, got "${raw}"`);
    case "enum":
      return raw;
    case "factors": {
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        throw new ParamError(`${where} must be a JSON array of numbers, got "${raw}"`);
      }
      if (!Array.isArray(v)) throw new ParamError(`${where} must be a JSON array of numbers, got "${raw}"`);
      return v as number[];
    }
  }
}
