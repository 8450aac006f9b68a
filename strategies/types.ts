/**
 * The few types every part of ropekit speaks.
 *
 * A strategy is pure: it maps a model's {@linkcode RopeSpec}, a {@linkcode RopeContext} (target and/or
 * current sequence length) and its parameters to a {@linkcode RopeTable} — plain data (inverse
 * frequencies and an attention scale) that kernels consume without knowing which strategy made it.
 *
 * @module
 */

/**
 * Version of the strategy contract. Plugins declare the version they were written against.
 * - 1: inverse frequencies, a cos/sin scale, short/long sets, start tokens.
 * - 2: adds {@linkcode RopeTable.softmaxScale} (a factor on the attention softmax scale, DeepSeek's
 *   YaRN `mscale_all_dim`). Version-1 strategies keep working: a `softmaxScale` they return is ignored.
 */
export const STRATEGY_API_VERSION = 2 as const;

/** Every contract version this ropekit accepts from a strategy. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [1, 2];

/** How a head's rotary channels are paired. */
export type Pairing =
  /** Channels (2i, 2i+1) form pair i: llama2.c `run.c`, GGUF llama ("normal" rope in ggml). */
  | "interleaved"
  /** Channels (i, i + d/2) form pair i: Hugging Face `rotate_half` (GPT-NeoX layout). */
  | "half";

/** What a model's files say about its RoPE. */
export interface RopeSpec {
  /** RoPE base θ (`rope_theta`). */
  theta: number;
  /** Channels per attention head. */
  headDim: number;
  /** Channels that are rotated (`head_dim · partial_rotary_factor`), even, ≤ headDim. */
  rotaryDim: number;
  /**
   * L0: the context the model was trained at (HF `original_max_position_embeddings` after HF's
   * standardisation). Long/short switching, YaRN correction ranges and critical dimensions read it.
   */
  originalContext: number;
  /**
   * M: HF `config.max_position_embeddings`. Dynamic NTK reads this (as HF does); ratio-based
   * defaults (`factor = M / L0`) read it when no target length is given. Defaults to L0.
   */
  maxPositions: number;
  /** Channel pairing of the checkpoint. */
  pairing: Pairing;
}

/** Lengths a strategy may read. */
export interface RopeContext {
  /**
   * The length the model is being extended to. Ratio defaults (`factor`) derive from it:
   * `factor = targetLength / originalContext`. Falls back to `spec.maxPositions`.
   */
  targetLength?: number;
  /**
   * The length of the sequence being run now (max position id + 1). Only length-dependent
   * strategies (dynamic NTK) read it; `undefined` means "not known" (HF's `seq_len=None`).
   */
  seqLen?: number;
}

/** One set of frequencies with the scale applied to cos and sin. */
export interface RopeFrequencies {
  /** rotaryDim/2 inverse frequencies, radians per token, index i = frequency pair i. */
  invFreq: Float64Array;
  /**
   * Multiplies cos and sin (HF `attention_factor`, YaRN `mscale`): q·k logits of the rotated
   * channels scale by its square.
   */
  attentionScale: number;
}

/**
 * A strategy's result: data, never code. The "long" frequencies are the top-level fields.
 *
 * Selection rule for a forward pass whose largest position id is `p`
 * (see {@linkcode resolveFrequencies}):
 * - if `short` is present and `p + 1 <= switchLength`, use `short`;
 * - otherwise use the top-level frequencies;
 * - positions `< startTokens` always use `original` (un-scaled RoPE, scale 1).
 */
export interface RopeTable extends RopeFrequencies {
  /** rotaryDim of the spec it was built for (invFreq.length * 2). */
  rotaryDim: number;
  /** Frequencies for sequences that fit the trained window (LongRoPE `short_factor`). */
  short?: RopeFrequencies;
  /** Sequences with max position + 1 above this use the long (top-level) frequencies. */
  switchLength?: number;
  /** LongRoPE's n̂: positions below this keep the original angles and a scale of 1. */
  startTokens?: number;
  /** Original (unscaled) frequencies, required when startTokens > 0. */
  original?: Float64Array;
  /** True when the table depends on `ctx.seqLen` (dynamic NTK): rebuild per sequence length. */
  lengthDependent?: boolean;
  /**
   * Contract v2: multiplies the whole head's softmax scale `1/sqrt(head_dim)` (rotated and
   * non-rotated channels alike), as DeepSeek-V2/V3 apply YaRN's `mscale_all_dim²`. Absent means 1.
   */
  softmaxScale?: number;
}

/** Values a strategy parameter can take. */
export type ParamValue = number | boolean | string | number[];

/** Declared type of one parameter. Drives CLI `--param`, server schemas, the web form and search. */
export type ParamDef =
  & {
    /** What the parameter means, one sentence. */
    description: string;
    /** True when the parameter may be absent; the strategy then derives it (e.g. factor from target). */
    optional?: boolean;
  }
  & (
    | { type: "number"; default?: number; min?: number; max?: number; exclusiveMin?: boolean }
    | { type: "integer"; default?: number; min?: number; max?: number }
    | { type: "boolean"; default?: boolean }
    | { type: "enum"; values: readonly string[]; default?: string }
    | {
      /** One number per frequency pair (rotaryDim/2 entries), e.g. LongRoPE factors. */
      type: "factors";
      default?: number[];
      min?: number;
    }
  );

/** Declared parameters of a strategy, by name (snake_case, as in HF configs). */
export type ParamSpace = Record<string, ParamDef>;

/** Parameters as given (after validation and defaults): values keyed like the ParamSpace. */
export type Params = Record<string, ParamValue | undefined>;

/** The contract every strategy — built-in or plugin — implements. */
export interface Strategy {
  /** Contract version the strategy was written for: one of {@linkcode SUPPORTED_API_VERSIONS}. */
  apiVersion: 1 | typeof STRATEGY_API_VERSION;
  /** kebab-case name, unique in a registry. */
  name: string;
  /** Version of this strategy's own behaviour (semver). */
  version: string;
  /** One line saying what it does. */
  description: string;
  /** Parameters it accepts. Unknown parameters are rejected before `table` is called. */
  params: ParamSpace;
  /** Pure: the same inputs give the same table. Built-ins are synchronous; callers always await. */
  table(spec: RopeSpec, ctx: RopeContext, params: Params): RopeTable | Promise<RopeTable>;
}
