/**
 * Architectures as data: what a family changes in the one llama block (`llama_block.ts`), and how its
 * Hugging Face weights map onto {@linkcode LayerWeights}. A family is a row of {@linkcode FAMILIES};
 * the block and the loaders read the row, never the family's name.
 *
 * @module
 */

/** Where a sublayer's RMSNorm sits. */
export type NormPlacement =
  /** On the sublayer's input (llama): x += f(norm(x)). */
  | "pre"
  /** On the sublayer's output (OLMo 2): x += norm(f(x)). */
  | "post"
  /** Both (Gemma 3): x += postNorm(f(preNorm(x))). */
  | "pre+post";

/** The block's per-architecture switches, carried by `LlamaConfig.block` (absent = llama). */
export interface BlockShape {
  /** Default "pre". With "post", attnNorm/ffnNorm are the sublayers' output norms. */
  norms?: NormPlacement;
  /**
   * RMSNorm of q and k before RoPE: over each head's channels (Qwen 3, Gemma 3), or over the whole
   * projection (OLMo 2). Absent: none.
   */
  qkNorm?: "head" | "projection";
  /** The gate's activation in the gated MLP. Default "silu" (SwiGLU); Gemma uses GELU (tanh form). */
  activation?: "silu" | "gelu-tanh";
  /** q·k multiplier (Gemma 3: query_pre_attn_scalar^−½). Default 1/sqrt(headDim). */
  softmaxScale?: number;
  /**
   * Per layer: "sliding" layers attend within `slidingWindow` and use the local RoPE table
   * (Gemma 3's rope_local_base_freq); "full" layers use the model's (configured) RoPE.
   */
  layerTypes?: ("full" | "sliding")[];
  /** Keys a sliding layer's query sees: j with i − slidingWindow < j ≤ i. */
  slidingWindow?: number;
}

/** A family: the block's shape plus how its HF checkpoint is laid out. */
export interface Family {
  shape: Omit<BlockShape, "softmaxScale" | "layerTypes" | "slidingWindow">;
  /** Norm weights stored as w for a norm that multiplies by (1 + w) (Gemma): 1 is added at load. */
  normPlusOne?: boolean;
  /** The input embedding is multiplied by sqrt(hidden_size) (Gemma); the tied classifier is not. */
  embedScale?: boolean;
  /** Names of the sublayer norms in `model.layers.N.` (attn, ffn, and for pre+post the post norms). */
  norms: { attn: string; ffn: string; postAttn?: string; postFfn?: string };
  /** Reads `query_pre_attn_scalar` (Gemma 3). */
  queryPreAttnScalar?: boolean;
  /**
   * Where `sliding_window` applies: "all" layers when it is set (Mistral, Phi-3, as transformers' masks
   * do), or the `layer_types` entries "sliding_attention" (Gemma 3, Qwen 2/3). Absent: never.
   */
  windows?: "all" | "layer_types";
  /** Sliding layers have their own RoPE (Gemma 3's `sliding_attention` block / `rope_local_base_freq`). */
  localRope?: boolean;
  /** Config keys whose non-default values ropekit does not implement: key → the value it needs. */
  unsupported?: Record<string, unknown>;
}

const LLAMA_NORMS = { attn: "input_layernorm", ffn: "post_attention_layernorm" };

/** The families ropekit runs, by HF `model_type`. */
export const FAMILIES: Record<string, Family> = {
  llama: { shape: {}, norms: LLAMA_NORMS, unsupported: { hidden_act: "silu" } },
  mistral: { shape: {}, norms: LLAMA_NORMS, windows: "all", unsupported: { hidden_act: "silu" } },
  qwen2: { shape: {}, norms: LLAMA_NORMS, windows: "layer_types", unsupported: { hidden_act: "silu" } },
  qwen3: {
    shape: { qkNorm: "head" },
    norms: LLAMA_NORMS,
    windows: "layer_types",
    unsupported: { hidden_act: "silu" },
  },
  phi3: { shape: {}, norms: LLAMA_NORMS, windows: "all", unsupported: { hidden_act: "silu" } },
  olmo2: {
    shape: { norms: "post", qkNorm: "projection" },
    norms: { attn: "post_attention_layernorm", ffn: "post_feedforward_layernorm" },
    unsupported: { hidden_act: "silu" },
  },
  gemma3_text: {
    shape: { norms: "pre+post", qkNorm: "head", activation: "gelu-tanh" },
    normPlusOne: true,
    embedScale: true,
    norms: {
      attn: "input_layernorm",
      ffn: "pre_feedforward_layernorm",
      postAttn: "post_attention_layernorm",
      postFfn: "post_feedforward_layernorm",
    },
    queryPreAttnScalar: true,
    windows: "layer_types",
    localRope: true,
    unsupported: {
      final_logit_softcapping: null,
      attn_logit_softcapping: null,
      use_bidirectional_attention: false,
      hidden_activation: "gelu_pytorch_tanh",
    },
  },
};
