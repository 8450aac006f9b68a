/**
 * The llama decoder block, written once. Every engine that runs the forward pass — the CPU, native
 * and WebGPU backends, and the training forward — supplies {@linkcode BlockOps} over its own buffer
 * type (Float32Array, GPUBuffer) and calls {@linkcode llamaBlock} per layer. An architecture change
 * (a norm, a bias, a per-layer RoPE) is one edit here plus, for a new op, one method per engine.
 *
 * The ops are pass-scoped: the engine builds them for one pass, so `rope` and `attention` already
 * know the RoPE table, the KV cache or the packed documents of the rows they run over.
 *
 * @module
 */
import type { LayerWeights, LlamaConfig } from "./config.ts";

/** One layer's weights on an engine: the fields of {@linkcode LayerWeights}, as that engine's buffers. */
export type BlockWeights<B> = {
  [K in keyof LayerWeights]: LayerWeights[K] extends Float32Array ? B : B | undefined;
};

/** What an engine implements for {@linkcode llamaBlock}. Shapes follow the kernels of `kernels/cpu`. */
export interface BlockOps<B> {
  /** out[T][D] = x / rms(x) · weight, row by row. */
  rmsnorm(out: B, x: B, weight: B, T: number, D: number, eps: number): void;
  /** out[T][N] = x[T][K] · wᵀ (+ bias), w row-major [N][K]. */
  matmul(out: B, x: B, w: B, T: number, K: number, N: number, bias?: B): void;
  /** The residual: x[T][N] += inp[T][K] · wᵀ; `tmp` ([T][N], free to clobber) for engines that do not fuse. */
  matmulAdd(x: B, inp: B, w: B, T: number, K: number, N: number, tmp: B): void;
  /** Rotates `heads` heads of each of the T rows of x in place with the pass's RoPE. */
  rope(x: B, T: number, heads: number, headDim: number): void;
  /** Causal (or cached, or per-document) attention of the rotated q to k, v for layer `layer`. */
  attention(out: B, q: B, k: B, v: B, T: number, c: LlamaConfig, layer: number): void;
  /** out[i] = silu(gate[i]) · up[i]. */
  swiglu(out: B, gate: B, up: B, n: number): void;
}

/**
 * Where one layer's activations go. Inference reuses one set for every layer (h1 = h2 = tmp,
 * act = gate); training gives each layer its own, since the backward pass reads them.
 */
export interface BlockBuffers<B> {
  /** attnNorm(x) [T][D]. */
  h1: B;
  /** Projections (rotated in place) [T][qDim], [T][kvDim], [T][kvDim]. */
  q: B;
  k: B;
  v: B;
  /** Attention output [T][qDim]. */
  att: B;
  /** ffnNorm(x) [T][D]. */
  h2: B;
  /** SwiGLU inputs and output [T][hiddenDim]. */
  gate: B;
  up: B;
  act: B;
  /** Scratch [T][D] for the residual matmuls. */
  tmp: B;
}

/** The residual stream before each of the block's two norms; training keeps both for the backward. */
export type ResidualTap<B> = (where: "attn" | "ffn", x: B) => void;

/** One llama block over the T rows of the residual stream x (in place). */
export function llamaBlock<B>(
  ops: BlockOps<B>,
  c: LlamaConfig,
  l: BlockWeights<B>,
  layer: number,
  T: number,
  x: B,
  s: BlockBuffers<B>,
  tap?: ResidualTap<B>,
): void {
  const D = c.dim, H = c.hiddenDim, hd = c.headDim;
  const qDim = c.nHeads * hd, kvDim = c.nKvHeads * hd;
  tap?.("attn", x);
  ops.rmsnorm(s.h1, x, l.attnNorm, T, D, c.normEps);
  ops.matmul(s.q, s.h1, l.wq, T, D, qDim, l.bq);
  ops.matmul(s.k, s.h1, l.wk, T, D, kvDim, l.bk);
  ops.matmul(s.v, s.h1, l.wv, T, D, kvDim, l.bv);
  ops.rope(s.q, T, c.nHeads, hd);
  ops.rope(s.k, T, c.nKvHeads, hd);
  ops.attention(s.att, s.q, s.k, s.v, T, c, layer);
  ops.matmulAdd(x, s.att, l.wo, T, qDim, D, s.tmp);
  tap?.("ffn", x);
  ops.rmsnorm(s.h2, x, l.ffnNorm, T, D, c.normEps);
  ops.matmul(s.gate, s.h2, l.wGate, T, D, H);
  ops.matmul(s.up, s.h2, l.wUp, T, D, H);
  ops.swiglu(s.act, s.gate, s.up, T * H);
  ops.matmulAdd(x, s.act, l.wDown, T, H, D, s.tmp);
}

/** One set of {@linkcode BlockBuffers} reused by every layer (inference), from the engine's allocator. */
export function sharedBlockBuffers<B>(
  c: LlamaConfig,
  T: number,
  alloc: (floats: number) => B,
): BlockBuffers<B> {
  const qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  const h = alloc(T * c.dim), gate = alloc(T * c.hiddenDim);
  return {
    h1: h,
    q: alloc(T * qDim),
    k: alloc(T * kvDim),
    v: alloc(T * kvDim),
    att: alloc(T * qDim),
    h2: h,
    gate,
    up: alloc(T * c.hiddenDim),
    act: gate,
    tmp: h,
  };
}
