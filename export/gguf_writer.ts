/** Writing a GGUF (version 3) file of float32 tensors with typed metadata. @module */

/** A metadata value and its GGUF type. */
export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

/** A tensor: `dims` innermost first, as ggml's `ne` (a [rows][cols] matrix is [cols, rows]). */
export interface GgufTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

const ALIGNMENT = 32;
// GGUF value type ids (gguf.h): UINT32 4, INT32 5, FLOAT32 6, BOOL 7, STRING 8, ARRAY 9.
const T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
const GGML_TYPE_F32 = 0;

class Bytes {
  #chunks: Uint8Array[] = [];
  length = 0;
  #push(b: Uint8Array) {
    this.#chunks.push(b);
    this.length += b.length;
  }
  u32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.#push(b);
  }
  i32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.#push(b);
  }
  u64(v: number) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.#push(b);
  }
  f32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.#push(b);
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.#push(b);
  }
  raw(b: Uint8Array) {
    this.#push(b);
  }
  pad() {
    const n = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT;
    if (n) this.#push(new Uint8Array(n));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function writeValue(b: Bytes, v: GgufValue): void {
  switch (v.type) {
    case "u32":
      b.u32(T.u32), b.u32(v.value);
      break;
    case "f32":
      b.u32(T.f32), b.f32(v.value);
      break;
    case "bool":
      b.u32(T.bool), b.raw(new Uint8Array([v.value ? 1 : 0]));
      break;
    case "string":
      b.u32(T.string), b.str(v.value);
      break;
    case "string[]":
      b.u32(T.array), b.u32(T.string), b.u64(v.value.length);
      for (const s of v.value) b.str(s);
      break;
    case "f32[]":
      b.u32(T.array), b.u32(T.f32), b.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) b.f32(v.value[i]);
      break;
    case "i32[]":
      b.u32(T.array), b.u32(T.i32), b.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) b.i32(v.value[i]);
      break;
  }
}

/** Serialises metadata and float32 tensors as a GGUF v3 file (32-byte aligned tensor data). */
export function encodeGguf(metadata: Record<string, GgufValue>, tensors: GgufTensor[]): Uint8Array {
  const b = new Bytes();
  b.raw(new TextEncoder().encode("GGUF"));
  b.u32(3);
  b.u64(tensors.length);
  b.u64(Object.keys(metadata).length);
  for (const [k, v] of Object.entries(metadata)) {
    b.str(k);
    writeValue(b, v);
  }
  let offset = 0;
  for (const t of tensors) {
    const n = t.dims.reduce((a, c) => a * c, 1);
    if (n !== t.data.length) {
      throw new RangeError(`tensor ${t.name}: dims ${t.dims} need ${n} values, has ${t.data.length}`);
    }
    b.str(t.name);
    b.u32(t.dims.length);
    for (const d of t.dims) b.u64(d);
    b.u32(GGML_TYPE_F32);
    b.u64(offset);
    offset += Math.ceil(t.data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  b.pad();
  for (const t of tensors) {
    b.raw(new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)));
    b.pad();
  }
  return b.concat();
}
