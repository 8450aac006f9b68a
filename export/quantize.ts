/**
 * ropekit's own quantizers for GGUF export, written from ggml's block layouts (the ones
 * `model/dequantize.ts` decodes): Q8_0 (32 values: f16 scale, int8), Q4_K (256 values: f16 d and
 * dmin, eight 6-bit scales and mins, 4-bit values) and Q6_K (256 values: sixteen int8 scales, f16 d,
 * 6-bit values). Each fits a block's scales to its values, then picks every value's code with the
 * scales as the file will store them (rounded to f16 and 6/8 bits), so decoding sees what was fitted.
 *
 * @module
 */
import { GgmlType } from "../model/dequantize.ts";

const fr = Math.fround;
const f16Bits = (x: number) => new Uint16Array(new Float16Array([x]).buffer)[0];
const f16Round = (x: number) => new Float16Array([x])[0];
/** C's roundf: halves away from zero. */
const roundAway = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

function putF16(out: Uint8Array, at: number, x: number): void {
  const h = f16Bits(x);
  out[at] = h & 255;
  out[at + 1] = h >> 8;
}

/** Q8_0 of 32 values at x[o..]: d = max|x|/127 (f32, stored as f16), q = roundf(x·(1/d)), as ggml does. */
function blockQ8_0(x: Float32Array, o: number, out: Uint8Array, at: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
  const d = fr(amax / 127), id = d ? fr(1 / d) : 0;
  putF16(out, at, d);
  for (let j = 0; j < 32; j++) out[at + 2 + j] = clamp(roundAway(fr(x[o + j] * id)), -127, 127) & 255;
}

/**
 * The scale a ≥ 0 and offset m ≥ 0 of x ≈ a·q − m (q integer in [0, top]) for the `n` values at x[o..]:
 * start from the range, then alternate codes and a least-squares refit of (a, m) a few times, keeping
 * the fit with the smallest squared error.
 */
function fitScaleMin(x: Float32Array, o: number, n: number, top: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let j = 0; j < n; j++) lo = Math.min(lo, x[o + j]), hi = Math.max(hi, x[o + j]);
  let m = Math.max(0, -lo), a = (hi + m) / top;
  if (!(a > 0)) return [0, m];
  let best: [number, number] = [a, m], bestErr = Infinity;
  for (let iter = 0; iter < 6; iter++) {
    let err = 0, sq = 0, sqq = 0, sx = 0, sxq = 0;
    for (let j = 0; j < n; j++) {
      const v = x[o + j], q = clamp(Math.round((v + m) / a), 0, top);
      const e = a * q - m - v;
      err += e * e;
      sq += q, sqq += q * q, sx += v, sxq += v * q;
    }
    if (err < bestErr) bestErr = err, best = [a, m];
    // least squares of v ≈ a·q − m
    const det = n * sqq - sq * sq;
    if (det <= 0) break;
    const na = (n * sxq - sq * sx) / det, nm = -(sx - na * sq) / n;
    if (nm < 0) { // offset pinned at 0: v ≈ a·q
      if (!(sqq > 0)) break;
      a = sxq / sqq, m = 0;
    } else a = na, m = nm;
    if (!(a > 0)) break;
  }
  return best;
}

/** Q4_K of 256 values at x[o..] into 144 bytes at out[at..]. */
function blockQ4_K(x: Float32Array, o: number, out: Uint8Array, at: number): void {
  const scale = new Float64Array(8), min = new Float64Array(8);
  for (let s = 0; s < 8; s++) [scale[s], min[s]] = fitScaleMin(x, o + 32 * s, 32, 15);
  const d = f16Round(Math.max(...scale) / 63), dmin = f16Round(Math.max(...min) / 63);
  const sc = scale.map((v) => (d > 0 ? clamp(Math.round(v / d), 0, 63) : 0));
  const mn = min.map((v) => (dmin > 0 ? clamp(Math.round(v / dmin), 0, 63) : 0));
  putF16(out, at, d);
  putF16(out, at + 2, dmin);
  // 12 bytes: low 6 bits of scales 0..3 and mins 0..3, their top 2 bits holding the top bits of 4..7,
  // then the low nibbles of scales 4..7 and mins 4..7.
  for (let j = 0; j < 4; j++) {
    out[at + 4 + j] = sc[j] | ((sc[j + 4] >> 4) << 6);
    out[at + 8 + j] = mn[j] | ((mn[j + 4] >> 4) << 6);
    out[at + 12 + j] = (sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4);
  }
  out.fill(0, at + 16, at + 144);
  for (let s = 0; s < 8; s++) {
    // the decoder's own arithmetic: (d·sc)·q − dmin·m, in f32
    const ds = fr(d * sc[s]), dm = fr(dmin * mn[s]);
    const base = at + 16 + 32 * (s >> 1), shift = (s & 1) * 4;
    for (let l = 0; l < 32; l++) {
      const q = ds > 0 ? clamp(Math.round((x[o + 32 * s + l] + dm) / ds), 0, 15) : 0;
      out[base + l] |= q << shift;
    }
  }
}

/** Scale a of x ≈ a·q (q integer in [−32, 31]) for 16 values: the largest magnitude maps to −32, then refits. */
function fitScale6(x: Float32Array, o: number): number {
  let big = 0;
  for (let j = 0; j < 16; j++) if (Math.abs(x[o + j]) > Math.abs(big)) big = x[o + j];
  if (big === 0) return 0;
  let a = big / -32, best = a, bestErr = Infinity;
  for (let iter = 0; iter < 4; iter++) {
    let err = 0, sxq = 0, sqq = 0;
    for (let j = 0; j < 16; j++) {
      const v = x[o + j], q = clamp(Math.round(v / a), -32, 31), e = a * q - v;
      err += e * e, sxq += v * q, sqq += q * q;
    }
    if (err < bestErr) bestErr = err, best = a;
    if (!(sqq > 0)) break;
    a = sxq / sqq;
  }
  return best;
}

/** Q6_K of 256 values at x[o..] into 210 bytes at out[at..]. */
function blockQ6_K(x: Float32Array, o: number, out: Uint8Array, at: number): void {
  const scale = Array.from({ length: 16 }, (_, s) => fitScale6(x, o + 16 * s));
  const d = f16Round(Math.max(...scale.map(Math.abs)) / 127);
  const sc = scale.map((v) => (d > 0 ? clamp(Math.round(v / d), -128, 127) : 0));
  out.fill(0, at, at + 192);
  for (let s = 0; s < 16; s++) out[at + 192 + s] = sc[s] & 255;
  putF16(out, at + 208, d);
  // value 128h + 32i + l: low nibble in ql[64h + 32(i mod 2) + l] (low half for i < 2), top 2 bits at
  // bits 2i of qh[32h + l], scale sc[(128h + 32i + l) / 16].
  for (let h = 0; h < 2; h++) {
    for (let i = 0; i < 4; i++) {
      for (let l = 0; l < 32; l++) {
        const k = 128 * h + 32 * i + l, ds = fr(d * sc[k >> 4]);
        const q = (ds !== 0 ? clamp(Math.round(x[o + k] / ds), -32, 31) : 0) + 32;
        out[at + 64 * h + 32 * (i & 1) + l] |= (q & 15) << (i < 2 ? 0 : 4);
        out[at + 128 + 32 * h + l] |= (q >> 4) << (2 * i);
      }
    }
  }
}

const BLOCKS = {
  [GgmlType.Q8_0]: { elements: 32, bytes: 34, encode: blockQ8_0 },
  [GgmlType.Q4_K]: { elements: 256, bytes: 144, encode: blockQ4_K },
  [GgmlType.Q6_K]: { elements: 256, bytes: 210, encode: blockQ6_K },
} as const;

/** The ggml types {@linkcode quantize} encodes. */
export type QuantizableType = keyof typeof BLOCKS;

/** Encodes `x` (a whole number of blocks: 32 values for Q8_0, 256 for Q4_K and Q6_K) as ggml type `type`. */
export function quantize(type: QuantizableType, x: Float32Array): Uint8Array {
  const b = BLOCKS[type];
  if (x.length % b.elements !== 0) {
    throw new RangeError(`${x.length} values are not whole blocks of ${b.elements}`);
  }
  const nb = x.length / b.elements, out = new Uint8Array(nb * b.bytes);
  for (let i = 0; i < nb; i++) b.encode(x, i * b.elements, out, i * b.bytes);
  return out;
}
