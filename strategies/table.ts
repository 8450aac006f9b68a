/**
 * Validation and per-pass resolution of {@linkcode RopeTable}s: the boundary between strategies
 * (anyone's code) and kernels (which trust what they are given).
 *
 * @module
 */
import type { RopeFrequencies, RopeSpec, RopeTable } from "./types.ts";
import { RopekitError } from "../util/errors.ts";

/** Thrown when a table (or a strategy's input) is not usable. The message names the field. */
export class RopeTableError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "RopeTableError";
}

function checkFrequencies(where: string, f: RopeFrequencies, pairs: number): void {
  if (!(f.invFreq instanceof Float64Array) && !Array.isArray(f.invFreq)) {
    throw new RopeTableError(`${where}.invFreq must be an array of numbers`);
  }
  if (f.invFreq.length !== pairs) {
    throw new RopeTableError(
      `${where}.invFreq has ${f.invFreq.length} entries, expected rotaryDim/2 = ${pairs}`,
    );
  }
  for (let i = 0; i < pairs; i++) {
    const v = f.invFreq[i];
    // 0 is a pair that does not rotate (proportional RoPE's tail); negative or non-finite is a bug.
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (v === 0 && i === 0)) {
      throw new RopeTableError(`${where}.invFreq[${i}] = ${v}: must be finite and > 0 (0 only past pair 0)`);
    }
  }
  if (typeof f.attentionScale !== "number" || !Number.isFinite(f.attentionScale) || f.attentionScale <= 0) {
    throw new RopeTableError(`${where}.attentionScale = ${f.attentionScale}: must be finite and > 0`);
  }
}

/**
 * Checks a table against the spec it is for. Returns the table (with plain arrays converted to
 * Float64Array) or throws {@linkcode RopeTableError} naming the offending field.
 */
export function validateTable(table: RopeTable, spec: Pick<RopeSpec, "rotaryDim">): RopeTable {
  if (table === null || typeof table !== "object") throw new RopeTableError("table must be an object");
  const pairs = spec.rotaryDim / 2;
  if (table.rotaryDim !== spec.rotaryDim) {
    throw new RopeTableError(`table.rotaryDim = ${table.rotaryDim}, expected ${spec.rotaryDim}`);
  }
  checkFrequencies("table", table, pairs);
  if (table.short !== undefined) {
    checkFrequencies("table.short", table.short, pairs);
    if (!Number.isInteger(table.switchLength) || (table.switchLength as number) <= 0) {
      throw new RopeTableError(
        `table.switchLength = ${table.switchLength}: a positive integer is required with short`,
      );
    }
  }
  if (table.startTokens !== undefined && table.startTokens !== 0) {
    if (!Number.isInteger(table.startTokens) || table.startTokens < 0) {
      throw new RopeTableError(`table.startTokens = ${table.startTokens}: must be a non-negative integer`);
    }
    if (!table.original) throw new RopeTableError("table.original is required when startTokens > 0");
    checkFrequencies("table.original", { invFreq: table.original, attentionScale: 1 }, pairs);
  }
  if (
    table.softmaxScale !== undefined &&
    (typeof table.softmaxScale !== "number" || !Number.isFinite(table.softmaxScale) ||
      table.softmaxScale <= 0)
  ) {
    throw new RopeTableError(`table.softmaxScale = ${table.softmaxScale}: must be finite and > 0`);
  }
  const f64 = (a: ArrayLike<number>) => a instanceof Float64Array ? a : Float64Array.from(a);
  return {
    ...table,
    invFreq: f64(table.invFreq),
    short: table.short ? { ...table.short, invFreq: f64(table.short.invFreq) } : undefined,
    original: table.original ? f64(table.original) : undefined,
  };
}

/** The frequencies a forward pass over positions [0, seqLen) uses, after the short/long choice. */
export interface ResolvedRope extends RopeFrequencies {
  /** Which set was chosen. */
  choice: "long" | "short";
  /** Positions below this use `original` with scale 1. 0 when unused. */
  startTokens: number;
  /** Original frequencies for the start tokens (present when startTokens > 0). */
  original?: Float64Array;
  /** The table's factor on the softmax scale (1 when it has none). */
  softmaxScale: number;
}

/**
 * Applies a table's selection rule for a pass whose positions are 0..seqLen−1 (so max position id
 * + 1 = seqLen), as HF's `longrope_frequency_update` does: short when seqLen ≤ switchLength.
 */
export function resolveFrequencies(table: RopeTable, seqLen: number): ResolvedRope {
  const useShort = table.short !== undefined && seqLen <= (table.switchLength ?? 0);
  const chosen = useShort ? table.short! : table;
  return {
    invFreq: chosen.invFreq,
    attentionScale: chosen.attentionScale,
    choice: useShort ? "short" : "long",
    startTokens: table.startTokens ?? 0,
    original: table.original,
    softmaxScale: table.softmaxScale ?? 1,
  };
}
