/** CPU reference embedding gather. @module */

/** out[t] = table[tokens[t]] (rows of D channels). Throws a RangeError on a negative or huge id. */
export function embedRef(
  out: Float32Array,
  table: Float32Array,
  tokens: Int32Array | number[],
  D: number,
): void {
  const rows = table.length / D;
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t];
    if (!(id >= 0 && id < rows)) {
      throw new RangeError(`token ${id} at ${t} is outside the table (${rows} rows)`);
    }
    out.set(table.subarray(id * D, id * D + D), t * D);
  }
}
