/**
 * A Hugging Face `tokenizer.json` for a SentencePiece-style BPE vocabulary (llama2.c's tokenizer.bin,
 * GGUF "llama"): a BPE model with byte fallback whose merges are every split of a piece into two
 * pieces, ranked by the merged piece's score — the order SentencePiece merges in.
 *
 * @module
 */
import type { SentencePieceVocab } from "../model/sentencepiece_bpe.ts";

const SP = "\u2581";

/** The tokenizer.json object (serialise with JSON.stringify). */
export function tokenizerJson(vocab: SentencePieceVocab): Record<string, unknown> {
  const dec = new TextDecoder();
  const control = new Set(vocab.controlIds);
  const pieces = vocab.pieces.map((p) => dec.decode(p).split(vocab.spaceSymbol).join(SP));
  const ids = new Map<string, number>();
  pieces.forEach((p, id) => {
    if (!ids.has(p)) ids.set(p, id);
  });
  const merges: { pair: [string, string]; score: number; id: number; left: number }[] = [];
  pieces.forEach((p, id) => {
    if (control.has(id) || /^<0x[0-9A-F]{2}>$/.test(p)) return;
    const chars = [...p];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join(""), right = chars.slice(k).join("");
      if (ids.has(left) && ids.has(right)) {
        merges.push({ pair: [left, right], score: vocab.scores[id], id, left: ids.get(left)! });
      }
    }
  });
  merges.sort((a, b) => b.score - a.score || a.id - b.id || a.left - b.left);
  const special = (id: number) => ({
    id,
    content: pieces[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const specials = [0, ...control].filter((id, i, a) => a.indexOf(id) === i && id < pieces.length);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map(special),
    normalizer: {
      type: "Sequence",
      normalizers: [{ type: "Prepend", prepend: SP }, {
        type: "Replace",
        pattern: { String: " " },
        content: SP,
      }],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: pieces[vocab.bosId], type_id: 0 } }, {
        Sequence: { id: "A", type_id: 0 },
      }],
      pair: [
        { SpecialToken: { id: pieces[vocab.bosId], type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: {
        [pieces[vocab.bosId]]: { id: pieces[vocab.bosId], ids: [vocab.bosId], tokens: [pieces[vocab.bosId]] },
      },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: SP }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: pieces[0],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(ids),
      merges: merges.map((m) => m.pair),
    },
  };
}
