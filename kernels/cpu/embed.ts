/** CPU reference embedding gather. @module */
import type { AnyMatrix } from "./matmul_encoded.ts";

/**
 * Buffers of one embedding gather (T = tokens.length rows of D channels): shared by the reference and
 * (B = GPUBuffer, with the ids on the device) the WebGPU encoder.
 */
export interface EmbedArgs<B = Float32Array, W = B> {
  /** [T][D], written. */
  out: B;
  /** [rows][D]; W differs from B where the table may be encoded (matmul_encoded.ts). */
  table: W;
  tokens: Int32Array | number[];
  D: number;
}

/**
 * out[t] = table[tokens[t]] (rows of D channels); an encoded table decodes only the rows looked up.
 * Throws a RangeError on a negative or huge id.
 */
export function embedRef({ out, table, tokens, D }: EmbedArgs<Float32Array, AnyMatrix>): void {
  // Any typed array is a dense table (the f64 training engine passes Float64Array typed as Float32Array).
  const dense = ArrayBuffer.isView(table) ? table as Float32Array : undefined;
  const rows = dense ? dense.length / D : (table as Exclude<AnyMatrix, Float32Array>).rows;
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t];
    if (!(id >= 0 && id < rows)) {
      throw new RangeError(`token ${id} at ${t} is outside the table (${rows} rows)`);
    }
    if (dense) out.set(dense.subarray(id * D, id * D + D), t * D);
    else (table as Exclude<AnyMatrix, Float32Array>).rowInto(id, out.subarray(t * D, t * D + D));
  }
}
