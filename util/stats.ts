/** Means with their standard errors. @module */

/** A mean, its standard error (σ/√n; 0 for n < 2) and the sample count. */
export interface Estimate {
  mean: number;
  stderr: number;
  n: number;
}

/** Mean and standard error of `values`. */
export function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) return { mean: NaN, stderr: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, stderr: 0, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(variance / n), n };
}

/** Arithmetic mean of a typed or plain array. */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}
