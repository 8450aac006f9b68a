/**
 * Faster JS causal attention for the CPU backend (the fallback when the native library is not
 * available). Same contract as {@linkcode causalAttentionRef}, which stays the simple reference the
 * tests compare against. What makes it faster in V8:
 *
 * - keys and values of a KV head are transposed once ([headDim][T]) so every inner loop runs over
 *   keys with unit stride, which V8 compiles to tight code;
 * - passes per query row instead of the online rescale: scores for all visible keys (a buffer of T
 *   floats, never T×T), one max, exponentials, then weighted values: no branch per key;
 * - {@linkcode expNonPositive}: e^x for x ≤ 0 from a 2^n table and a degree-7 polynomial, about 3×
 *   cheaper than Math.exp and accurate to ~1e-8 relative (softmax arguments are always ≤ 0).
 *
 * @module
 */
import { type AttentionArgs, attentionFirstKeys, gqaGroupSize } from "./attention.ts";

/** 2^−i for i = 0..200. */
const POW2_NEG = Float64Array.from({ length: 201 }, (_, i) => 2 ** -i);

/**
 * e^x for x ≤ 0, flushed to 0 below 2^−200 (a softmax weight that small cannot matter next to the
 * max's weight 1, and it keeps subnormals, ~100× slower, out of the sums). x = (n + f)·ln2 with n = round(x·log2 e),
 * |f| ≤ 1/2, so e^x = 2^n · e^(f·ln2) and the Taylor series of e^r, |r| ≤ 0.347, converges to
 * 6e-9 relative by degree 7.
 */
export function expNonPositive(x: number): number {
  const y = x * Math.LOG2E;
  if (!(y > -200)) return y === y ? 0 : NaN; // flush (incl. −inf); NaN stays NaN
  const n = Math.round(y) | 0; // | 0: an int32 (Math.round gives −0 near 0, which V8 deopts on as an index)
  const r = (y - n) * Math.LN2;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r / 5040))))));
  return n <= 0 ? p * POW2_NEG[-n] : p * 2; // n = 1 only for x within rounding of 0
}

/** As causalAttentionRef: out[t][h] = Σ_{s ≤ t, same document and window} softmax_s(scale·q[t][h]·k[s][g]) v[s][g]. */
export function causalAttentionFast(a: AttentionArgs): void {
  const { out, q, k, v, T, nHeads, nKvHeads, headDim } = a;
  const G = gqaGroupSize(nHeads, nKvHeads), hd = headDim;
  const scale = a.softmaxScale ?? 1 / Math.sqrt(hd);
  const qStride = nHeads * hd, kvStride = nKvHeads * hd;
  const first = attentionFirstKeys(T, a) ?? new Int32Array(T);
  // Keys and values of one KV head transposed, [hd][T]: the inner loops below run over keys with
  // unit stride, the shape V8 compiles best.
  const kt = new Float32Array(hd * T), vt = new Float32Array(hd * T);
  const p = new Float64Array(T);
  for (let g = 0; g < nKvHeads; g++) {
    for (let s = 0; s < T; s++) {
      for (let d = 0; d < hd; d++) {
        kt[d * T + s] = k[s * kvStride + g * hd + d];
        vt[d * T + s] = v[s * kvStride + g * hd + d];
      }
    }
    for (let h = g * G; h < (g + 1) * G; h++) {
      for (let t = 0; t < T; t++) {
        attendRow(out, q, kt, vt, p, t * qStride + h * hd, first[t], t, T, hd, scale);
      }
    }
  }
}

/**
 * One query row of one head: out[qo..qo+hd) from keys s0..t of the transposed kt/vt ([hd][T]).
 * A function of its own so V8 optimises it after a few calls instead of on-stack-replacing a long
 * loop nest (which sometimes left the whole kernel several times slower).
 */
function attendRow(
  out: Float32Array,
  q: Float32Array,
  kt: Float32Array,
  vt: Float32Array,
  p: Float64Array,
  qo: number,
  s0: number,
  t: number,
  T: number,
  hd: number,
  scale: number,
): void {
  p.fill(0, s0, t + 1);
  for (let d = 0; d < hd; d++) {
    const qd = q[qo + d] * scale, base = d * T;
    for (let s = s0; s <= t; s++) p[s] += qd * kt[base + s];
  }
  let max = -Infinity;
  for (let s = s0; s <= t; s++) if (p[s] > max) max = p[s];
  let sum = 0;
  for (let s = s0; s <= t; s++) {
    const e = expNonPositive(p[s] - max);
    p[s] = e;
    sum += e;
  }
  for (let d = 0; d < hd; d++) {
    const base = d * T;
    let a = 0;
    for (let s = s0; s <= t; s++) a += p[s] * vt[base + s];
    out[qo + d] = a / sum;
  }
}
