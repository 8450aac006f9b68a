/** Backward of `embedRef`: a scatter-add into the rows of the table that were gathered. @module */
import type { EmbedArgs } from "./embed.ts";
import type { Vec } from "./vec.ts";

/** Buffers of one embedding backward; dTable accumulates. */
export interface EmbedBackwardArgs<B = Vec> extends Omit<EmbedArgs<B>, "out" | "table"> {
  /** [rows][D], accumulated. */
  dTable: B;
  /** [T][D] gradient of the gathered rows. */
  dOut: B;
}

/** dTable[tokens[t]] += dOut[t] (D channels per row); repeated tokens add up. */
export function embedBackward({ dTable, dOut, tokens, D }: EmbedBackwardArgs): void {
  for (let t = 0; t < tokens.length; t++) {
    const row = tokens[t] * D, o = t * D;
    for (let i = 0; i < D; i++) dTable[row + i] += dOut[o + i];
  }
}
