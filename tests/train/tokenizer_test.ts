import assert from "node:assert/strict";
import { parseLlama2cTokenizer } from "../../model/llama2c_tokenizer.ts";
import { BYTE_VOCAB_SIZE, byteTokenizer, byteTokenizerBin } from "../../train/byte_tokenizer.ts";
import { llama2cTokenCount } from "../../train/tokenizer_file.ts";

Deno.test("the byte tokenizer's tokenizer.bin parses back to the same encoding", () => {
  const bin = byteTokenizerBin();
  assert.equal(llama2cTokenCount(bin, "bytes"), BYTE_VOCAB_SIZE);
  const text = "Once upon a time, Zoë had a 🐢.";
  const ids = byteTokenizer().encode(text);
  const parsed = parseLlama2cTokenizer(bin, BYTE_VOCAB_SIZE, "bytes");
  assert.deepEqual(parsed.encode(text), ids);
  assert.equal(parsed.decode(ids), text);
  assert.ok(ids.every((id) => id >= 1 && id < BYTE_VOCAB_SIZE));
});

Deno.test("llama2cTokenCount rejects a truncated file", () => {
  const bin = byteTokenizerBin();
  assert.throws(() => llama2cTokenCount(bin.subarray(0, bin.length - 2), "t.bin"), /runs past the end/);
});
