/** What a paired test can detect at all with n documents: the floor a column's verdict stands on. @module */
import { studentTQuantile } from "./stats.ts";

/**
 * The fewest discordant documents, all favouring one side, with which the exact two-sided McNemar test
 * reaches p < α: the smallest k with 2·2⁻ᵏ < α. Undefined when more than `n` would be needed.
 */
export function minDiscordantAllOneWay(n: number, alpha: number): number | undefined {
  let k = 1;
  while (2 ** (1 - k) >= alpha) k++;
  return k <= n ? k : undefined;
}

/** The smallest p-value the exact sign-flip test can give with n differences: 2/2ⁿ (all one sign). */
export function minSignFlipP(n: number): number {
  return n === 0 ? 1 : Math.min(1, 2 / 2 ** n);
}

/**
 * The mean paired difference a two-sided paired t test at level α detects with the given power, for
 * differences of standard deviation `sd` over n pairs: (t₁₋α/₂ + t_power)·sd/√n with n − 1 degrees of
 * freedom (the usual normal-theory approximation; undefined below 2 pairs).
 */
export function detectableDifference(sd: number, n: number, alpha: number, power = 0.8): number | undefined {
  if (n < 2 || !Number.isFinite(sd)) return undefined;
  return (studentTQuantile(1 - alpha / 2, n - 1) + studentTQuantile(power, n - 1)) * sd / Math.sqrt(n);
}
