/**
 * Tensor element types of GGUF and safetensors, decoded to float32 on load: the CPU forward pass and
 * the reference kernels work in f32 only.
 *
 * @module
 */
import { ModelFormatError } from "./config.ts";

/** ggml type ids (`enum ggml_type`) that we can decode. */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 } as const;

const QK = 32; // elements per block of the Q4_0 and Q8_0 formats

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

/** Bytes that `n` elements of ggml type `type` occupy. */
export function ggmlByteSize(type: number, n: number, name: string): number {
  switch (type) {
    case GgmlType.F32:
      return n * 4;
    case GgmlType.F16:
    case GgmlType.BF16:
      return n * 2;
    case GgmlType.Q8_0:
      return (n / QK) * (2 + QK);
    case GgmlType.Q4_0:
      return (n / QK) * (2 + QK / 2);
  }
  throw new ModelFormatError(
    `tensor ${name}: ggml type ${type} is not supported (supported: F32, F16, BF16, Q8_0, Q4_0)`,
  );
}

/** Decodes `n` elements of ggml type `type` from `bytes` (little-endian) into a new Float32Array. */
export function dequantize(type: number, bytes: Uint8Array, n: number, name: string): Float32Array {
  const need = ggmlByteSize(type, n, name);
  if ((type === GgmlType.Q8_0 || type === GgmlType.Q4_0) && n % QK !== 0) {
    throw new ModelFormatError(`tensor ${name}: ${n} elements is not a multiple of the block size ${QK}`);
  }
  if (bytes.byteLength < need) {
    throw new ModelFormatError(`tensor ${name}: ${bytes.byteLength} bytes, expected ${need}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case GgmlType.F16:
      for (let i = 0; i < n; i++) out[i] = f16Table[view.getUint16(2 * i, true)];
      break;
    case GgmlType.BF16: {
      // bf16 is the top half of a float32.
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case GgmlType.Q8_0:
      // Block: f16 scale d, then 32 int8 q; x = d·q.
      for (let b = 0, off = 0; b < n / QK; b++, off += 2 + QK) {
        const d = f16Table[view.getUint16(off, true)];
        for (let j = 0; j < QK; j++) out[b * QK + j] = d * view.getInt8(off + 2 + j);
      }
      break;
    case GgmlType.Q4_0:
      // Block: f16 scale d, then 16 bytes; low nibbles are x[0..15], high nibbles x[16..31]; x = d·(q − 8).
      for (let b = 0, off = 0; b < n / QK; b++, off += 2 + QK / 2) {
        const d = f16Table[view.getUint16(off, true)];
        for (let j = 0; j < QK / 2; j++) {
          const q = bytes[off + 2 + j];
          out[b * QK + j] = d * ((q & 0x0f) - 8);
          out[b * QK + j + QK / 2] = d * ((q >> 4) - 8);
        }
      }
      break;
  }
  return out;
}
