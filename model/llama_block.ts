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
import type { AttentionArgs } from "../kernels/cpu/attention.ts";
import type { MatmulArgs } from "../kernels/cpu/matmul.ts";
import type { RmsnormArgs } from "../kernels/cpu/rmsnorm.ts";
import type { RopeRows } from "../kernels/cpu/rope.ts";
import type { SwigluArgs } from "../kernels/cpu/swiglu.ts";
import type { LayerWeights, LlamaConfig } from "./config.ts";

/**
 * One layer's weights on an engine: the fields of {@linkcode LayerWeights}, as that engine's buffers;
 * the matrices as `W` (an engine whose matmul reads encoded weights, `kernels/cpu/matmul_encoded.ts`).
 */
export type BlockWeights<B, W = B> = {
  [K in keyof LayerWeights]: K extends "attnNorm" | "ffnNorm" ? B
    : K extends "bq" | "bk" | "bv" ? B | undefined
    : W;
};

/** What an engine implements for {@linkcode llamaBlock}: each method takes its op's argument type from `kernels/cpu`. */
export interface BlockOps<B, W = B> {
  /** out[T][D] = x / rms(x) · weight, row by row. */
  rmsnorm(a: RmsnormArgs<B>): void;
  /** out[T][N] = x[T][K] · wᵀ (+ bias), w row-major [N][K]. */
  matmul(a: MatmulArgs<B, W>): void;
  /** The residual: out[T][N] += x[T][K] · wᵀ; `tmp` ([T][N], free to clobber) for engines that do not fuse. */
  matmulAdd(a: MatmulArgs<B, W>, tmp: B): void;
  /** Rotates `heads` heads of each of the T rows of x in place with the pass's RoPE. */
  rope(a: RopeRows<B>): void;
  /** Causal (or cached, or per-document) attention of the rotated q to k, v for layer `layer`. */
  attention(a: AttentionArgs<B>, layer: number): void;
  /** out[i] = silu(gate[i]) · up[i]. */
  swiglu(a: SwigluArgs<B>): void;
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
export function llamaBlock<B, W = B>(
  ops: BlockOps<B, W>,
  c: LlamaConfig,
  l: BlockWeights<B, W>,
  layer: number,
  T: number,
  x: B,
  s: BlockBuffers<B>,
  tap?: ResidualTap<B>,
): void {
  const D = c.dim, H = c.hiddenDim, hd = c.headDim;
  const qDim = c.nHeads * hd, kvDim = c.nKvHeads * hd;
  tap?.("attn", x);
  ops.rmsnorm({ out: s.h1, x, weight: l.attnNorm, T, D, eps: c.normEps });
  ops.matmul({ out: s.q, x: s.h1, w: l.wq, bias: l.bq, T, K: D, N: qDim });
  ops.matmul({ out: s.k, x: s.h1, w: l.wk, bias: l.bk, T, K: D, N: kvDim });
  ops.matmul({ out: s.v, x: s.h1, w: l.wv, bias: l.bv, T, K: D, N: kvDim });
  ops.rope({ x: s.q, T, nHeads: c.nHeads, headDim: hd });
  ops.rope({ x: s.k, T, nHeads: c.nKvHeads, headDim: hd });
  ops.attention({
    out: s.att,
    q: s.q,
    k: s.k,
    v: s.v,
    T,
    nHeads: c.nHeads,
    nKvHeads: c.nKvHeads,
    headDim: hd,
  }, layer);
  ops.matmulAdd({ out: x, x: s.att, w: l.wo, T, K: qDim, N: D }, s.tmp);
  tap?.("ffn", x);
  ops.rmsnorm({ out: s.h2, x, weight: l.ffnNorm, T, D, eps: c.normEps });
  ops.matmul({ out: s.gate, x: s.h2, w: l.wGate, T, K: D, N: H });
  ops.matmul({ out: s.up, x: s.h2, w: l.wUp, T, K: D, N: H });
  ops.swiglu({ out: s.act, gate: s.gate, up: s.up, n: T * H });
  ops.matmulAdd({ out: x, x: s.act, w: l.wDown, T, K: H, N: D }, s.tmp);
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
