/**
 * CPU reference LM head: logits for generation, and per-token NLL computed a few rows at a time so
 * memory stays O(rows·V), never T×V.
 *
 * @module
 */
import { type AnyMatrix, matmulAnyRef } from "./matmul_encoded.ts";

/** Rows per chunk: matches matmulRef's 4-row blocking. */
const ROWS = 4;

/**
 * Buffers and shape of the LM head's NLL: hidden[T×D] (after the final norm), wcls[V×D], targets in
 * [0, V). Shared by the reference and (B = GPUBuffer, with the targets on the device) the WebGPU encoder.
 */
export interface LogitsNllArgs<B = Float32Array, W = B> {
  hidden: B;
  /** W differs from B where the classifier may be encoded (matmul_encoded.ts). */
  wcls: W;
  targets: Int32Array | number[];
  T: number;
  D: number;
  V: number;
}

/** {@linkcode LogitsNllArgs} without targets, and where the full [T][V] logits go. */
export interface LogitsArgs<B = Float32Array, W = B> extends Omit<LogitsNllArgs<B, W>, "targets"> {
  /** [T][V], written. */
  out: B;
}

/** out[T×V] = hidden[T×D] · wcls[V×D]ᵀ. */
export function logitsRef({ out, hidden, wcls, T, D, V }: LogitsArgs<Float32Array, AnyMatrix>): void {
  matmulAnyRef({ out, x: hidden, w: wcls, T, K: D, N: V });
}

/** log Σ exp(row[i]), shifted by the row's maximum so no term overflows. */
export function logSumExp(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

/** Per-token NLL: logsumexp(logits[t]) − logits[t][targets[t]]. Targets must lie in [0, V). */
export function logitsNllRef(
  { hidden, wcls, targets, T, D, V }: LogitsNllArgs<Float32Array, AnyMatrix>,
): Float32Array {
  const nll = new Float32Array(T);
  const logits = new Float32Array(ROWS * V);
  for (let t0 = 0; t0 < T; t0 += ROWS) {
    const rows = Math.min(ROWS, T - t0);
    matmulAnyRef({ out: logits, x: hidden.subarray(t0 * D, (t0 + rows) * D), w: wcls, T: rows, K: D, N: V });
    for (let r = 0; r < rows; r++) {
      const target = targets[t0 + r];
      if (!(target >= 0 && target < V)) {
        throw new RangeError(`target ${target} at ${t0 + r} is outside [0, ${V})`);
      }
      const row = logits.subarray(r * V, r * V + V);
      nll[t0 + r] = logSumExp(row) - row[target];
    }
  }
  return nll;
}
