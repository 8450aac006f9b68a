/**
 * The tokenizer interface every model format provides.
 *
 * @module
 */

/** Text ⇄ token ids. */
export interface Tokenizer {
  /** Number of ids. */
  readonly vocabSize: number;
  /** The beginning-of-sequence token id. */
  readonly bosId: number;
  /** The end-of-sequence token id (generation stops at it). */
  readonly eosId: number;
  /** Token ids of `text`, with BOS first when `bos` is true (the default). */
  encode(text: string, options?: { bos?: boolean }): number[];
  /** Text of `ids`; a leading BOS and the space the encoder prepended are dropped. */
  decode(ids: readonly number[]): string;
  /**
   * A decoder for streaming: feed ids one at a time and get the text they complete. Holds back the
   * bytes of a UTF-8 character that is split over byte-fallback tokens until it is whole.
   */
  streamDecoder(): (id: number) => string;
  /** The piece of one id, for display (`<0x0A>` etc. as stored). */
  piece(id: number): string;
}
