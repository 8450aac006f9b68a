/**
 * What the evaluation suite needs from a model — {@linkcode Model} from `model/` satisfies it, and
 * tests can pass a tiny stand-in.
 *
 * @module
 */
import type { RopeSpec, RopeTable } from "../strategies/types.ts";
import type { Tokenizer } from "../model/tokenizer.ts";

/** A scorer and greedy generator over RoPE tables. */
export interface LanguageModel {
  /** The model's RoPE as its files declare it (θ, head and rotary dims, trained context L0). */
  readonly spec: RopeSpec;
  /** Encodes the texts the metrics build and decodes what the model generates. */
  readonly tokenizer: Tokenizer;
  /** Per window, NLL of tokens 1..n−1 (index j predicts token j+1). */
  nll(windows: number[][], table: RopeTable): Promise<{ nll: Float32Array[] }>;
  /** Greedy continuation of `promptIds` (prompt excluded). */
  generate(promptIds: number[], table: RopeTable, maxTokens: number): Promise<number[]>;
}

/**
 * The table a strategy gives for a pass over `seqLen` positions. Most tables ignore seqLen; dynamic
 * NTK is rebuilt from it.
 */
export type TableFor = (seqLen: number) => Promise<RopeTable>;
