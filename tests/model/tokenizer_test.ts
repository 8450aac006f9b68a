/**
 * Tokenizers: the heap-based BPE against a line-by-line port of run.c's `encode`, round trips, the
 * GGUF vocabulary, and tokenizer.json through @huggingface/tokenizers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HfJsonTokenizer } from "../../model/hf_tokenizer.ts";
import { parseLlama2cTokenizer } from "../../model/llama2c_tokenizer.ts";
import { loadModel } from "../../model/load_model.ts";
import { rng, stories260K } from "./_fixtures.ts";
import { DEFAULT_MODEL } from "../_shared_dir.ts";

const dir = stories260K();

/** run.c's encode, transcribed: rescan for the best-scoring adjacent pair until none merges. */
function runCEncode(pieces: Uint8Array[], scores: Float32Array, text: string): number[] {
  const key = (b: Uint8Array) => String.fromCharCode(...b);
  const lookup = new Map<string, number>();
  pieces.forEach((p, i) => lookup.has(key(p)) || lookup.set(key(p), i));
  const tokens = [1];
  if (text.length === 0) return tokens;
  tokens.push(lookup.get(" ")!);
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length;) {
    let j = i + 1;
    while (j < bytes.length && (bytes[j] & 0xc0) === 0x80 && j - i < 4) j++;
    const id = lookup.get(key(bytes.subarray(i, j)));
    if (id !== undefined) tokens.push(id);
    else for (let b = i; b < j; b++) tokens.push(bytes[b] + 3);
    i = j;
  }
  for (;;) {
    let best = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 1; i < tokens.length - 1; i++) {
      const id = lookup.get(key(pieces[tokens[i]]) + key(pieces[tokens[i + 1]]));
      if (id !== undefined && scores[id] > best) best = scores[id], bestId = id, bestIdx = i;
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

/** The in-repo facts837K's tokenizer: a 768-piece BPE in llama2.c's layout, on every clone. */
const TOK = join(DEFAULT_MODEL, "../tok768.bin"), VOCAB = 768;

function readTokenizerFile(path: string, vocab: number) {
  const bytes = Deno.readFileSync(path);
  const v = new DataView(bytes.buffer);
  const pieces: Uint8Array[] = [];
  const scores = new Float32Array(vocab);
  for (let i = 0, off = 4; i < vocab; i++) {
    scores[i] = v.getFloat32(off, true);
    const n = v.getInt32(off + 4, true);
    pieces.push(bytes.slice(off + 8, off + 8 + n));
    off += 8 + n;
  }
  return { bytes, pieces, scores };
}

const SAMPLES = [
  "",
  "Once upon a time",
  "One day, a clever fox found a shiny key under the old oak tree.",
  "  double  spaces and\nnew lines\n\n",
  "Ünïcödé: naïve café, 日本語, emoji 🦊!",
  "~]]]~ <s> </s> <0x41>",
];

Deno.test({
  name: "tok768.bin: encode equals run.c's algorithm; decode round-trips",
  fn: () => {
    const { bytes, pieces, scores } = readTokenizerFile(TOK, VOCAB);
    const tok = parseLlama2cTokenizer(bytes, VOCAB, "tok768.bin");
    const r = rng(3);
    const alphabet = "abcdefghijklmnopqrstuvwxyz .,!?\n'\"éü日🦊ABCXYZ";
    const random = Array.from(
      { length: 40 },
      () =>
        Array.from(
          { length: Math.floor((r() + 1) * 60) },
          () => [...alphabet][Math.floor((r() + 1) / 2 * 44)],
        ).join(""),
    );
    for (const text of [...SAMPLES, ...random]) {
      const ids = tok.encode(text);
      assert.deepEqual(ids, runCEncode(pieces, scores, text), JSON.stringify(text));
      assert.equal(tok.decode(ids), text, JSON.stringify(text));
    }
    assert.deepEqual(tok.encode("hi", { bos: false }), tok.encode("hi").slice(1));
  },
});

Deno.test({
  name: "streaming decode holds back a UTF-8 character split over byte tokens",
  fn: () => {
    const tok = parseLlama2cTokenizer(Deno.readFileSync(TOK), VOCAB, "tok768.bin");
    const ids = tok.encode("a 日本 b");
    const step = tok.streamDecoder();
    const parts = ids.map(step);
    assert.ok(!parts.join("").includes("\uFFFD"));
    assert.equal(parts.join("") + step(-1), "a 日本 b");
  },
});

Deno.test({
  name: "GGUF embedded vocabulary (▁ spaces, control tokens) encodes like tok512.bin (stories260K)",
  ignore: dir === null,
  fn: async () => {
    const gguf = await loadModel(join(dir!, "stories260K.gguf"));
    const bin = await loadModel(join(dir!, "stories260K.bin"));
    for (const text of SAMPLES) {
      assert.deepEqual(gguf.tokenizer.encode(text), bin.tokenizer.encode(text), JSON.stringify(text));
      assert.equal(gguf.tokenizer.decode(gguf.tokenizer.encode(text)), text);
    }
  },
});

Deno.test({
  name: "tokenizer.json (HF BPE with byte fallback, built from tok768) gives run.c's ids",
  fn: () => {
    const { pieces, scores } = readTokenizerFile(TOK, VOCAB);
    const dec = new TextDecoder();
    const names = pieces.map((
      p,
      i,
    ) => (i === 1 ? "<s>" : i === 2 ? "</s>" : dec.decode(p).replaceAll(" ", "▁")));
    const vocab = Object.fromEntries(names.map((n, i) => [n, i]));
    // As HF's LlamaConverter: a merge "a b" for every piece split into two pieces, by the piece's score.
    const merges: [number, string][] = [];
    names.forEach((n, id) => {
      if (id < 259) return;
      for (let k = 1; k < n.length; k++) {
        if (n.slice(0, k) in vocab && n.slice(k) in vocab) {
          merges.push([scores[id], `${n.slice(0, k)} ${n.slice(k)}`]);
        }
      }
    });
    merges.sort((a, b) => b[0] - a[0]);
    const json = {
      normalizer: {
        type: "Sequence",
        normalizers: [{ type: "Prepend", prepend: "▁" }, {
          type: "Replace",
          pattern: { String: " " },
          content: "▁",
        }],
      },
      pre_tokenizer: null,
      post_processor: null,
      model: {
        type: "BPE",
        vocab,
        merges: merges.map(([, m]) => m),
        byte_fallback: true,
        fuse_unk: true,
        unk_token: "<unk>",
      },
      added_tokens: [0, 1, 2].map((id) => ({ id, content: names[id], special: true })),
      decoder: {
        type: "Sequence",
        decoders: [
          { type: "Replace", pattern: { String: "▁" }, content: " " },
          { type: "ByteFallback" },
          { type: "Fuse" },
          { type: "Strip", content: " ", start: 1, stop: 0 },
        ],
      },
    };
    const hf = new HfJsonTokenizer(json, {}, 1, 2);
    const bin = parseLlama2cTokenizer(Deno.readFileSync(TOK), VOCAB, "tok768.bin");
    for (const text of SAMPLES.slice(1, 4)) {
      assert.deepEqual(hf.encode(text), bin.encode(text), JSON.stringify(text));
      assert.equal(hf.decode(hf.encode(text)), text);
    }
  },
});
