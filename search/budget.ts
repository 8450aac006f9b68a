/** `--budget`: a number of evaluations ("500") or a wall-clock time ("30m", "2h", "90s"). @module */
import { RopekitError } from "../util/errors.ts";

/** A budget: evaluations, seconds, or both (the first reached stops the search). */
export interface Budget {
  /** Stop after this many candidates are scored. */
  evaluations?: number;
  /** Stop once the search has run this long (summed over resumed sessions). */
  seconds?: number;
}

/** A `--budget` that is neither a whole number of evaluations nor a time. */
export class BudgetError extends RopekitError {}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Parses "500" (evaluations) or "30m" / "1.5h" / "45s" (time); throws a {@linkcode BudgetError} otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBudget } from "./budget.ts";
 *
 * assert.deepEqual(parseBudget("500"), { evaluations: 500 });
 * assert.deepEqual(parseBudget("1.5h"), { seconds: 5400 });
 * assert.throws(() => parseBudget("12.5"), /whole number/);
 * ```
 */
export function parseBudget(raw: string): Budget {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$/.exec(raw);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0)) {
    throw new BudgetError(
      `budget must be a number of evaluations (500) or a time (30m, 2h, 90s), got "${raw}"`,
    );
  }
  if (m[2] === "") {
    if (!Number.isInteger(n)) {
      throw new BudgetError(`an evaluation budget must be a whole number, got "${raw}"`);
    }
    return { evaluations: n };
  }
  return { seconds: n * UNIT_SECONDS[m[2]] };
}
