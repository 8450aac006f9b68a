/**
 * The search grid: factors and numeric parameters are held as integers in units of the step (0.01 by
 * default), so mutation ranges, equality and dedup keys are exact — no float drift after thousands of
 * mutations, and `107 / 100` is the double nearest 1.07, exactly what a config file would say.
 *
 * @module
 */
import { SearchSettingError } from "./search_setting_error.ts";

/** A grid of step 1/perUnit. */
export interface Grid {
  /** Grid points per 1.0 (100 for the default step of 0.01). */
  perUnit: number;
}

/** A grid for `step`, which must be 1/n for an integer n (0.01, 0.05, 0.5, 1). */
export function makeGrid(step = 0.01): Grid {
  const perUnit = Math.round(1 / step);
  if (!(step > 0) || perUnit < 1 || Math.abs(perUnit * step - 1) > 1e-9) {
    throw new SearchSettingError(`grid step must be 1/n for a whole number n (e.g. 0.01), got ${step}`);
  }
  return { perUnit };
}

/** The value of `units` grid points. */
export const fromUnits = (g: Grid, units: number): number => units / g.perUnit;

/** The nearest grid point of a value. */
export const toUnits = (g: Grid, value: number): number => Math.round(value * g.perUnit);

/** The first grid point ≥ value (tolerant of float noise such as 2.0000000001). */
export const ceilUnits = (g: Grid, value: number): number => Math.ceil(value * g.perUnit - 1e-9);

/** The last grid point ≤ value. */
export const floorUnits = (g: Grid, value: number): number => Math.floor(value * g.perUnit + 1e-9);
