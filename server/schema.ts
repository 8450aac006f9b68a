/**
 * A small JSON Schema subset, used twice: to validate every request body (errors name the field, e.g.
 * `strategies[1].params.beta_fast`) and, unchanged, as the schemas of `/api/openapi.json`, so the
 * documentation cannot drift from what the server enforces.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";

/** The schema forms the API uses. */
export type Schema =
  // `default` documents what leaving a field out means (OpenAPI reads it; validation does not).
  & { description?: string; default?: unknown }
  & (
    | {
      type: "object";
      properties?: Record<string, Schema>;
      required?: readonly string[];
      /** false: unknown fields are refused; true: any (e.g. an HF config). */
      additionalProperties?: boolean | Schema;
      maxProperties?: number;
    }
    | { type: "array"; items: Schema; minItems?: number; maxItems?: number }
    | { type: "integer" | "number"; minimum?: number; maximum?: number }
    | { type: "string"; enum?: readonly string[]; maxLength?: number; pattern?: string }
    | { type: "boolean" }
    | { oneOf: readonly Schema[] }
  );

/** A request field that breaks its schema; `field` is a path such as `lengths[2]`. */
export class ValidationError extends RopekitError {
  override name = "ValidationError";
  override readonly field: string;
  constructor(field: string, why: string) {
    super(`${field || "body"}: ${why}`);
    this.field = field || "body";
  }
}

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
};

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Checks `value` against `schema`; throws a {@linkcode ValidationError} naming the first bad field. */
export function validate(schema: Schema, value: unknown, field: string): void {
  if ("oneOf" in schema) {
    const reasons: string[] = [];
    for (const option of schema.oneOf) {
      try {
        return validate(option, value, field);
      } catch (e) {
        reasons.push((e as ValidationError).message);
      }
    }
    throw new ValidationError(field, `matches none of the allowed forms (${reasons.join("; ")})`);
  }
  switch (schema.type) {
    case "object":
      return validateObject(schema, value, field);
    case "array": {
      if (!Array.isArray(value)) throw new ValidationError(field, `must be an array, got ${typeName(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        throw new ValidationError(field, `needs at least ${schema.minItems} item(s), got ${value.length}`);
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        throw new ValidationError(field, `takes at most ${schema.maxItems} items, got ${value.length}`);
      }
      value.forEach((item, i) => validate(schema.items, item, `${field}[${i}]`));
      return;
    }
    case "integer":
    case "number": {
      // JSON.parse turns 1e999 into Infinity: refuse it here rather than deep inside an evaluation.
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new ValidationError(field, `must be a finite number, got ${show(value)}`);
      }
      if (schema.type === "integer" && !Number.isInteger(value)) {
        throw new ValidationError(field, `must be an integer, got ${value}`);
      }
      if (schema.minimum !== undefined && value < schema.minimum) {
        throw new ValidationError(field, `must be ≥ ${schema.minimum}, got ${value}`);
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        throw new ValidationError(field, `must be ≤ ${schema.maximum}, got ${value}`);
      }
      return;
    }
    case "string": {
      if (typeof value !== "string") throw new ValidationError(field, `must be a string, got ${show(value)}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) {
        throw new ValidationError(field, `is longer than ${schema.maxLength} characters`);
      }
      if (schema.enum && !schema.enum.includes(value)) {
        throw new ValidationError(field, `must be one of ${schema.enum.join(", ")}, got ${show(value)}`);
      }
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
        throw new ValidationError(field, `has an invalid form: ${show(value)}`);
      }
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") {
        throw new ValidationError(field, `must be true or false, got ${show(value)}`);
      }
  }
}

function validateObject(schema: Extract<Schema, { type: "object" }>, value: unknown, field: string) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError(field, `must be an object, got ${typeName(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const at = (key: string) => (field ? `${field}.${key}` : key);
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    throw new ValidationError(field, `has more than ${schema.maxProperties} fields`);
  }
  for (const key of schema.required ?? []) {
    if (obj[key] === undefined) throw new ValidationError(at(key), "is required");
  }
  const props = schema.properties ?? {};
  for (const key of keys) {
    const sub = props[key];
    if (sub) validate(sub, obj[key], at(key));
    else if (schema.additionalProperties === false || schema.additionalProperties === undefined) {
      const known = Object.keys(props);
      throw new ValidationError(at(key), `unknown field (known: ${known.join(", ") || "none"})`);
    } else if (typeof schema.additionalProperties === "object") {
      validate(schema.additionalProperties, obj[key], at(key));
    }
  }
}
