/**
 * safetensors files: u64 header length, a JSON header `{name: {dtype, shape, data_offsets}}`, then the
 * raw little-endian data. F32, F16 and BF16 tensors are decoded to f32.
 *
 * @module
 */
import { ModelFormatError } from "./config.ts";
import { dequantize, GgmlType } from "./dequantize.ts";

const DTYPES: Record<string, number> = { F32: GgmlType.F32, F16: GgmlType.F16, BF16: GgmlType.BF16 };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Decodes every tensor of a safetensors file into `into` (name → flat f32 data). */
export function parseSafetensors(bytes: Uint8Array, source: string, into: Map<string, Float32Array>): void {
  if (bytes.byteLength < 8) throw new ModelFormatError(`${source}: too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > bytes.byteLength) {
    throw new ModelFormatError(`${source}: header length ${headerLen} exceeds the file size`);
  }
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new ModelFormatError(`${source}: header is not JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + headerLen);
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as HeaderEntry;
    const type = DTYPES[dtype];
    if (type === undefined) {
      throw new ModelFormatError(`${source}: tensor ${name} has dtype ${dtype} (supported: F32, F16, BF16)`);
    }
    if (end > data.byteLength) {
      throw new ModelFormatError(`${source}: tensor ${name} lies past the end of the file`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    into.set(name, dequantize(type, data.subarray(begin, end), n, name));
  }
}
