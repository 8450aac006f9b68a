/**
 * Backward of `causalAttentionRef` (causal GQA, optional per-document masks). The softmax of each
 * (row, head) is recomputed from q and k one row at a time, so memory stays O(T), never T×T. As in
 * `causalAttentionFast`, the keys and values of one KV head (and their gradients) are held
 * transposed, [headDim][T], so every inner loop runs over keys with unit stride.
 *
 * @module
 */
import { type AttentionArgs, attentionFirstKeys, gqaGroupSize } from "./attention.ts";
import type { Vec } from "./vec.ts";

/**
 * Buffers of one attention backward: the forward call's (`out` is now its output, read to give
 * dO·O), plus the gradients; shared by the reference, the native/WebAssembly version and (B = GPUBuffer)
 * the WebGPU encoder.
 */
export interface AttentionBackwardArgs<B = Vec> extends AttentionArgs<B> {
  /** [T][nHeads·headDim], accumulated. */
  dq: B;
  /** [T][nKvHeads·headDim], accumulated. */
  dk: B;
  /** [T][nKvHeads·headDim], accumulated. */
  dv: B;
  /** [T][nHeads·headDim] gradient of the forward output. */
  dOut: B;
}

/**
 * For one (t, h) with P = softmax over allowed keys s and O = Σ P_s v_s:
 * dv_s += P_s·dO; dS_s = P_s·(dO·v_s − dO·O); dq += scale·Σ dS_s k_s; dk_s += scale·dS_s q.
 * `out` is the forward output (it gives dO·O without a second pass). dq, dk, dv are accumulated.
 */
export function causalAttentionBackward(a: AttentionBackwardArgs): void {
  const { dq, dk, dv, dOut, q, k, v, out, T, nHeads, nKvHeads, headDim } = a;
  const G = gqaGroupSize(nHeads, nKvHeads), hd = headDim;
  const scale = a.softmaxScale ?? 1 / Math.sqrt(hd);
  const qStride = nHeads * hd, kvStride = nKvHeads * hd;
  const first = attentionFirstKeys(T, a) ?? new Int32Array(T);
  const kt = new Float64Array(hd * T), vt = new Float64Array(hd * T);
  const dkt = new Float64Array(hd * T), dvt = new Float64Array(hd * T);
  const rows = { p: new Float64Array(T), ds: new Float64Array(T) };
  for (let g = 0; g < nKvHeads; g++) {
    for (let s = 0; s < T; s++) {
      for (let d = 0; d < hd; d++) {
        kt[d * T + s] = k[s * kvStride + g * hd + d];
        vt[d * T + s] = v[s * kvStride + g * hd + d];
      }
    }
    dkt.fill(0);
    dvt.fill(0);
    for (let h = g * G; h < (g + 1) * G; h++) {
      for (let t = 0; t < T; t++) {
        const qo = t * qStride + h * hd;
        backwardRow(dq, dOut, q, out, kt, vt, dkt, dvt, rows.p, rows.ds, qo, first[t], t, T, hd, scale);
      }
    }
    for (let s = 0; s < T; s++) {
      for (let d = 0; d < hd; d++) {
        dk[s * kvStride + g * hd + d] += dkt[d * T + s];
        dv[s * kvStride + g * hd + d] += dvt[d * T + s];
      }
    }
  }
}

/** One query row of one head against keys s0..t (a function of its own so V8 optimises it early). */
function backwardRow(
  dq: Vec,
  dOut: Vec,
  q: Vec,
  out: Vec,
  kt: Float64Array,
  vt: Float64Array,
  dkt: Float64Array,
  dvt: Float64Array,
  p: Float64Array,
  ds: Float64Array,
  qo: number,
  s0: number,
  t: number,
  T: number,
  hd: number,
  scale: number,
): void {
  p.fill(0, s0, t + 1);
  ds.fill(0, s0, t + 1);
  for (let d = 0; d < hd; d++) {
    const qd = q[qo + d] * scale, base = d * T;
    for (let s = s0; s <= t; s++) p[s] += qd * kt[base + s];
  }
  let max = -Infinity;
  for (let s = s0; s <= t; s++) if (p[s] > max) max = p[s];
  let sum = 0;
  for (let s = s0; s <= t; s++) sum += p[s] = Math.exp(p[s] - max);
  for (let s = s0; s <= t; s++) p[s] /= sum;
  // ds = dO·v_s (then turned into dS below); dv_s += P_s·dO.
  let dOdotO = 0;
  for (let d = 0; d < hd; d++) {
    const go = dOut[qo + d], base = d * T;
    dOdotO += go * out[qo + d];
    for (let s = s0; s <= t; s++) {
      ds[s] += go * vt[base + s];
      dvt[base + s] += p[s] * go;
    }
  }
  for (let s = s0; s <= t; s++) ds[s] = p[s] * (ds[s] - dOdotO) * scale;
  for (let d = 0; d < hd; d++) {
    const qd = q[qo + d], base = d * T;
    let a = 0;
    for (let s = s0; s <= t; s++) {
      a += ds[s] * kt[base + s];
      dkt[base + s] += ds[s] * qd;
    }
    dq[qo + d] += a;
  }
}
