/**
 * Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) through `@huggingface/tokenizers`.
 *
 * @module
 */
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import type { Tokenizer } from "./tokenizer.ts";

/** Adapts an HF tokenizer to ropekit's interface; BOS is added by us, not by HF's post-processor. */
export class HfJsonTokenizer implements Tokenizer {
  readonly vocabSize: number;
  private readonly hf: HfTokenizer;

  constructor(json: object, config: object, readonly bosId: number, readonly eosId: number) {
    this.hf = new HfTokenizer(json, config);
    this.vocabSize = this.hf.get_vocab(true).size;
  }

  encode(text: string, options: { bos?: boolean } = {}): number[] {
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    return options.bos === false ? ids : [this.bosId, ...ids];
  }

  decode(ids: readonly number[]): string {
    return this.hf.decode([...ids], { skip_special_tokens: true });
  }

  streamDecoder(): (id: number) => string {
    // Re-decode the whole sequence and emit what is new; a trailing U+FFFD (a character still split
    // over byte tokens) is held back until the next id completes it.
    const ids: number[] = [];
    let emitted = 0;
    return (id: number) => {
      if (id >= 0) ids.push(id);
      let text = this.decode(ids);
      if (id >= 0 && text.endsWith("\uFFFD")) text = text.slice(0, -1);
      const out = text.slice(emitted);
      emitted = Math.max(emitted, text.length);
      return out;
    };
  }

  piece(id: number): string {
    return this.hf.id_to_token(id) ?? "";
  }
}
