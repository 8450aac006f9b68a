/**
 * The JSON form of a config's RoPE table: what `deno task rope --json` prints and `POST /api/rope`
 * answers.
 *
 * @module
 */
import type { HfRopeTable } from "./hf_config.ts";
import { analyzeTable } from "./analysis.ts";
import { toGguf, toHfRopeScaling } from "./export.ts";

/** What to include beside the table. */
export interface RopeJsonOptions {
  /** The seq_len the caller asked for (echoed; null when absent). */
  seqLen?: number;
  /** Add the critical-dimension analysis (at seqLen, else the target). */
  analysis?: boolean;
  /** Add the HF `rope_scaling` block and llama.cpp GGUF keys. */
  exports?: boolean;
}

/** Fields: rope_type, rotary_dim, inv_freq (the chosen set), attention_factor, table (long/short), … */
export function ropeJson(result: HfRopeTable, opts: RopeJsonOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    rope_type: result.ropeType,
    hf_rope_type: result.hfRopeType,
    rotary_dim: result.spec.rotaryDim,
    head_dim: result.spec.headDim,
    rope_theta: result.spec.theta,
    original_max_position_embeddings: result.spec.originalContext,
    max_position_embeddings: result.spec.maxPositions,
    seq_len: opts.seqLen ?? null,
    inv_freq: Array.from(result.chosen.invFreq),
    attention_factor: result.chosen.attentionScale,
    params: result.params,
  };
  if (result.table.short) {
    out.table = result.chosen.choice;
    out.switch_length = result.table.switchLength;
  }
  if (result.table.startTokens) out.start_tokens = result.table.startTokens;
  if (opts.analysis) {
    out.analysis = analyzeTable(result.spec, result.table, opts.seqLen ?? result.targetLength);
  }
  if (opts.exports) {
    const x = {
      strategy: result.ropeType,
      spec: result.spec,
      params: result.params,
      table: result.table,
      targetLength: result.targetLength,
    };
    out.export = { hf: toHfRopeScaling(x), gguf: toGguf(x) };
  }
  return out;
}
