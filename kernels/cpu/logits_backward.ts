/**
 * Forward and backward of the LM head with NLL loss, a few rows at a time: the logits of one chunk
 * are turned into their gradient (softmax − one-hot) in place, so memory is O(rows·V), never T×V.
 *
 * @module
 */
import { matmulRef } from "./matmul.ts";
import { logSumExp } from "./logits.ts";
import { matmulBackward } from "./matmul_backward.ts";
import type { Vec } from "./vec.ts";

/** Rows per chunk, as in `logitsNllRef`. */
const ROWS = 4;

/**
 * Buffers and shape of one LM head + NLL backward: logits = hidden[T×D]·wcls[V×D]ᵀ, loss
 * lossScale·Σ_t nll[t]; dHidden and dWcls accumulate. Shared by the reference, the native/WebAssembly
 * version and (B = GPUBuffer, with targets on the device) the WebGPU encoder.
 */
export interface LogitsNllBackwardArgs<B = Vec> {
  /** [T][D] final hidden states. */
  hidden: B;
  /** [V][D] output embedding (classifier). */
  wcls: B;
  /** [T] target ids in [0, V). */
  targets: Int32Array;
  /** [T][D], accumulated. */
  dHidden: B;
  /** [V][D], accumulated. */
  dWcls: B;
  T: number;
  D: number;
  V: number;
  /** The loss is lossScale·Σ_t nll[t] (e.g. 1/T for the mean). */
  lossScale: number;
}

/**
 * Per-token NLL of targets under logits = hidden[T×D]·wcls[V×D]ᵀ (returned, like `logitsNllRef`), and
 * the gradient of `lossScale`·Σ_t nll[t]: dHidden += …, dWcls += … (accumulated).
 */
export function logitsNllBackward(
  { dHidden, dWcls, hidden, wcls, targets, T, D, V, lossScale }: LogitsNllBackwardArgs,
): Float64Array {
  const nll = new Float64Array(T);
  // Logits in the precision of `hidden`; matmulRef only indexes its arrays, so a Float64Array keeps
  // the f64 precision the gradient checks need.
  const logits = hidden instanceof Float64Array ? new Float64Array(ROWS * V) : new Float32Array(ROWS * V);
  for (let t0 = 0; t0 < T; t0 += ROWS) {
    const rows = Math.min(ROWS, T - t0);
    const h = hidden.subarray(t0 * D, (t0 + rows) * D);
    matmulRef({
      out: logits as Float32Array,
      x: h as Float32Array,
      w: wcls as Float32Array,
      T: rows,
      K: D,
      N: V,
    });
    for (let r = 0; r < rows; r++) {
      const target = targets[t0 + r];
      if (!(target >= 0 && target < V)) {
        throw new RangeError(`target ${target} at ${t0 + r} is outside [0, ${V})`);
      }
      const row = logits.subarray(r * V, r * V + V);
      const lse = logSumExp(row);
      nll[t0 + r] = lse - row[target];
      // d nll / d logit_i = softmax_i − [i = target]
      for (let i = 0; i < V; i++) row[i] = Math.exp(row[i] - lse) * lossScale;
      row[target] -= lossScale;
    }
    const dh = dHidden.subarray(t0 * D, (t0 + rows) * D);
    matmulBackward({
      dx: dh,
      dW: dWcls,
      dOut: logits.subarray(0, rows * V),
      x: h,
      w: wcls,
      T: rows,
      K: D,
      N: V,
    });
  }
  return nll;
}
