/** Backward of `embedRef`: a scatter-add into the rows of the table that were gathered. @module */
import type { Vec } from "./vec.ts";

/** dTable[tokens[t]] += dOut[t] (D channels per row); repeated tokens add up. */
export function embedBackward(dTable: Vec, dOut: Vec, tokens: Int32Array | number[], D: number): void {
  for (let t = 0; t < tokens.length; t++) {
    const row = tokens[t] * D, o = t * D;
    for (let i = 0; i < D; i++) dTable[row + i] += dOut[o + i];
  }
}
