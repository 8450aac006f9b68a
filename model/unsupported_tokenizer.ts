/**
 * Stands in for a tokenizer a model file has but ropekit cannot run, so the model still loads for
 * token-id inputs and fails with a clear message only when text is involved.
 *
 * @module
 */
import type { Tokenizer } from "./tokenizer.ts";
import { RopekitError } from "../util/errors.ts";

/** Text asked of a model whose tokenizer ropekit cannot run (token ids still work). */
export class TokenizerError extends RopekitError {}

/** A tokenizer whose text methods throw `reason`. */
export class UnsupportedTokenizer implements Tokenizer {
  readonly vocabSize = 0;
  readonly bosId: number;
  readonly eosId: number;
  constructor(private readonly reason: string, ids: { bosId?: number; eosId?: number } = {}) {
    this.bosId = ids.bosId ?? 1;
    this.eosId = ids.eosId ?? 2;
  }
  encode(): number[] {
    throw new TokenizerError(this.reason);
  }
  decode(): string {
    throw new TokenizerError(this.reason);
  }
  streamDecoder(): (id: number) => string {
    throw new TokenizerError(this.reason);
  }
  piece(): string {
    throw new TokenizerError(this.reason);
  }
}
