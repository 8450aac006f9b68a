/** Writing a `model.safetensors` file of float32 tensors. @module */

/** One tensor to write: its name, shape (outermost first, as torch) and float32 values. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Serialises tensors as safetensors: an 8-byte little-endian header length, a JSON header
 * (dtype, shape, byte offsets; padded with spaces to a multiple of 8 so the data stays aligned), then
 * the raw little-endian float32 data in header order.
 */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new RangeError(`tensor ${t.name}: shape ${t.shape} needs ${n} values, has ${t.data.length}`);
    }
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    // Float32Array is host-endian; every platform Deno runs on is little-endian, as the format wants.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
