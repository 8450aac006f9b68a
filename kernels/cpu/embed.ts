/** CPU reference embedding gather. @module */

/**
 * Buffers of one embedding gather (T = tokens.length rows of D channels): shared by the reference and
 * (B = GPUBuffer, with the ids on the device) the WebGPU encoder.
 */
export interface EmbedArgs<B = Float32Array> {
  /** [T][D], written. */
  out: B;
  /** [rows][D]. */
  table: B;
  tokens: Int32Array | number[];
  D: number;
}

/** out[t] = table[tokens[t]] (rows of D channels). Throws a RangeError on a negative or huge id. */
export function embedRef({ out, table, tokens, D }: EmbedArgs): void {
  const rows = table.length / D;
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t];
    if (!(id >= 0 && id < rows)) {
      throw new RangeError(`token ${id} at ${t} is outside the table (${rows} rows)`);
    }
    out.set(table.subarray(id * D, id * D + D), t * D);
  }
}
