/**
 * Tensor element types of GGUF and safetensors and how they decode to float32. The formats follow
 * ggml's block layouts (`ggml-common.h`); every decode computes in f32 with the same operations and
 * order as the `gguf` Python package's `gguf.quants.dequantize`, so results are bit-identical
 * (tests/model/dequantize_test.ts checks that against the package on random blocks).
 *
 * Matrices of a GGUF file stay in their stored type (`quant_matrix.ts`); the matmul kernels decode a
 * block at a time with {@linkcode dequantizeInto}.
 *
 * @module
 */
import { ModelFormatError } from "./config.ts";

/** ggml type ids (`enum ggml_type`) that we can decode. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  BF16: 30,
} as const;

/** Elements per block and bytes per block of each supported type. */
export const BLOCK: Record<number, { elements: number; bytes: number; name: string }> = {
  [GgmlType.F32]: { elements: 1, bytes: 4, name: "F32" },
  [GgmlType.F16]: { elements: 1, bytes: 2, name: "F16" },
  [GgmlType.BF16]: { elements: 1, bytes: 2, name: "BF16" },
  // f16 d, 16 bytes of nibbles
  [GgmlType.Q4_0]: { elements: 32, bytes: 18, name: "Q4_0" },
  // f16 d, f16 m, 16 bytes of nibbles
  [GgmlType.Q4_1]: { elements: 32, bytes: 20, name: "Q4_1" },
  // f16 d, 4 bytes of fifth bits, 16 bytes of nibbles
  [GgmlType.Q5_0]: { elements: 32, bytes: 22, name: "Q5_0" },
  // f16 d, f16 m, 4 bytes of fifth bits, 16 bytes of nibbles
  [GgmlType.Q5_1]: { elements: 32, bytes: 24, name: "Q5_1" },
  // f16 d, 32 int8
  [GgmlType.Q8_0]: { elements: 32, bytes: 34, name: "Q8_0" },
  // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
  [GgmlType.Q4_K]: { elements: 256, bytes: 144, name: "Q4_K" },
  // as Q4_K plus 32 bytes of fifth bits
  [GgmlType.Q5_K]: { elements: 256, bytes: 176, name: "Q5_K" },
  // 128 bytes of low nibbles, 64 bytes of high 2 bits, 16 int8 scales, f16 d
  [GgmlType.Q6_K]: { elements: 256, bytes: 210, name: "Q6_K" },
};

const SUPPORTED = Object.values(BLOCK).map((b) => b.name).join(", ");

/** IEEE half → float. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f16Table = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16ToF32(h);
  return t;
})();

/** The block layout of `type`; throws a ModelFormatError naming the tensor for other types. */
export function blockOf(type: number, name: string): { elements: number; bytes: number; name: string } {
  const b = BLOCK[type];
  if (!b) {
    throw new ModelFormatError(
      `tensor ${name}: ggml type ${type} is not supported (supported: ${SUPPORTED})`,
    );
  }
  return b;
}

/** Bytes that `n` elements of ggml type `type` occupy. */
export function ggmlByteSize(type: number, n: number, name: string): number {
  const b = blockOf(type, name);
  if (n % b.elements !== 0) {
    throw new ModelFormatError(
      `tensor ${name}: ${n} elements is not a multiple of the ${b.name} block size ${b.elements}`,
    );
  }
  return (n / b.elements) * b.bytes;
}

/** Decodes `n` elements of ggml type `type` from `bytes` (little-endian) into a new Float32Array. */
export function dequantize(type: number, bytes: Uint8Array, n: number, name: string): Float32Array {
  const need = ggmlByteSize(type, n, name);
  if (bytes.byteLength < need) {
    throw new ModelFormatError(`tensor ${name}: ${bytes.byteLength} bytes, expected ${need}`);
  }
  const out = new Float32Array(n);
  dequantizeInto(type, bytes.subarray(0, need), out);
  return out;
}

/** 6-bit scale and min `j` (0..7) of a Q4_K/Q5_K block whose 12 scale bytes start at `s`. */
function scaleMinK4(q: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [q[s + j] & 63, q[s + j + 4] & 63];
  return [
    (q[s + j + 4] & 0x0f) | ((q[s + j - 4] >> 6) << 4),
    (q[s + j + 4] >> 4) | ((q[s + j] >> 6) << 4),
  ];
}

const fr = Math.fround;

/**
 * Decodes every block of `bytes` (whole blocks of `type`) into `out` (bytes/blockBytes·blockElements
 * floats). Each value is computed as the `gguf` package computes it in float32: `Math.fround` after
 * every operation (a double result of two floats' +, −, × rounds to the same float as float arithmetic).
 */
export function dequantizeInto(type: number, bytes: Uint8Array, out: Float32Array): void {
  const blk = blockOf(type, "(dequantize)");
  const nb = bytes.byteLength / blk.bytes;
  const h16 = (o: number) => f16Table[bytes[o] | (bytes[o + 1] << 8)];
  switch (type) {
    case GgmlType.F32:
      out.set(new Float32Array(bytes.slice().buffer));
      return;
    case GgmlType.F16:
      for (let i = 0; i < nb; i++) out[i] = h16(2 * i);
      return;
    case GgmlType.BF16: {
      // bf16 is the top half of a float32.
      const u = new Uint32Array(out.buffer, out.byteOffset, nb);
      for (let i = 0; i < nb; i++) u[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
      return;
    }
    case GgmlType.Q8_0:
      for (let b = 0; b < nb; b++) {
        const off = b * 34, d = h16(off), o = b * 32;
        for (let j = 0; j < 32; j++) out[o + j] = d * ((bytes[off + 2 + j] << 24) >> 24);
      }
      return;
    case GgmlType.Q4_0:
    case GgmlType.Q4_1:
      // Low nibbles are x[0..15], high nibbles x[16..31]; Q4_0: d·(q − 8), Q4_1: d·q + m.
      for (let b = 0; b < nb; b++) {
        const off = b * blk.bytes, d = h16(off), o = b * 32;
        const one = type === GgmlType.Q4_1, m = one ? h16(off + 2) : 0, qs = off + (one ? 4 : 2);
        for (let j = 0; j < 16; j++) {
          const q = bytes[qs + j];
          if (one) {
            out[o + j] = fr(d * (q & 15)) + m;
            out[o + j + 16] = fr(d * (q >> 4)) + m;
          } else {
            out[o + j] = d * ((q & 15) - 8);
            out[o + j + 16] = d * ((q >> 4) - 8);
          }
        }
      }
      return;
    case GgmlType.Q5_0:
    case GgmlType.Q5_1:
      // As Q4_0/Q4_1 with a fifth bit per value from the 32-bit qh; Q5_0 centres on 16.
      for (let b = 0; b < nb; b++) {
        const off = b * blk.bytes, d = h16(off), o = b * 32;
        const one = type === GgmlType.Q5_1, m = one ? h16(off + 2) : 0, hq = off + (one ? 4 : 2);
        const qh = (bytes[hq] | (bytes[hq + 1] << 8) | (bytes[hq + 2] << 16) | (bytes[hq + 3] << 24)) >>> 0;
        for (let j = 0; j < 16; j++) {
          const q = bytes[hq + 4 + j];
          const lo = (q & 15) | (((qh >>> j) & 1) << 4), hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
          if (one) {
            out[o + j] = fr(d * lo) + m;
            out[o + j + 16] = fr(d * hi) + m;
          } else {
            out[o + j] = d * (lo - 16);
            out[o + j + 16] = d * (hi - 16);
          }
        }
      }
      return;
    case GgmlType.Q4_K:
    case GgmlType.Q5_K:
      // 8 sub-blocks of 32: x = (d·sc)·q − dmin·m. Sub-blocks 2i, 2i+1 are the low and high nibbles
      // of bytes qs[32i..32i+31]; Q5_K's fifth bit of sub-block s is bit s of qh[l].
      for (let b = 0; b < nb; b++) {
        const off = b * blk.bytes, d = h16(off), dmin = h16(off + 2), o = b * 256;
        const five = type === GgmlType.Q5_K, qh = off + 16, qs = off + (five ? 48 : 16);
        for (let s = 0; s < 8; s++) {
          const [sc, mn] = scaleMinK4(bytes, off + 4, s);
          const ds = fr(d * sc), dm = fr(dmin * mn);
          const base = qs + 32 * (s >> 1), shift = (s & 1) * 4;
          for (let l = 0; l < 32; l++) {
            let q = (bytes[base + l] >> shift) & 15;
            if (five) q |= ((bytes[qh + l] >> s) & 1) << 4;
            out[o + 32 * s + l] = fr(ds * q) - dm;
          }
        }
      }
      return;
    case GgmlType.Q6_K:
      // Two halves of 128: value 32i + l of half h takes a nibble of ql[64h + l (+32 for i odd)] (low
      // for i < 2), bits 2i..2i+1 of qh[32h + l], and scale (32h·… ) sc[8h + 2i + l/16]; x = (d·sc)·(q − 32).
      for (let b = 0; b < nb; b++) {
        const off = b * 210, d = h16(off + 208), o = b * 256;
        for (let h = 0; h < 2; h++) {
          for (let i = 0; i < 4; i++) {
            const ql = off + 64 * h + 32 * (i & 1), shift = i < 2 ? 0 : 4;
            for (let l = 0; l < 32; l++) {
              const sc = (bytes[off + 192 + 8 * h + 2 * i + (l >> 4)] << 24) >> 24;
              const q = ((bytes[ql + l] >> shift) & 15) |
                (((bytes[off + 128 + 32 * h + l] >> (2 * i)) & 3) << 4);
              out[o + 128 * h + 32 * i + l] = fr(d * sc) * (q - 32);
            }
          }
        }
      }
      return;
  }
}
