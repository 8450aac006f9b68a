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
import type { AddArgs } from "../kernels/cpu/add.ts";
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
    : K extends "bq" | "bk" | "bv" | "qNorm" | "kNorm" | "postAttnNorm" | "postFfnNorm" ? B | undefined
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
  /** Rotates `heads` heads of each of the T rows of x in place with the pass's RoPE for layer `layer`. */
  rope(a: RopeRows<B>, layer: number): void;
  /** Causal (or cached, or per-document) attention of the rotated q to k, v for layer `layer`. */
  attention(a: AttentionArgs<B>, layer: number): void;
  /** out[i] = silu(gate[i]) · up[i]. */
  swiglu(a: SwigluArgs<B>): void;
  /** out[i] = gelu_tanh(gate[i]) · up[i] (Gemma); only engines that run such a model implement it. */
  gegluTanh?(a: SwigluArgs<B>): void;
  /** out[i] = a[i] + b[i]: the residual add after a post-norm; only engines that run post-norm models implement it. */
  add?(a: AddArgs<B>): void;
}

/** Thrown when an engine lacks an op the model's architecture needs. */
function missingOp(op: string, c: LlamaConfig): Error {
  return new RangeError(`this engine has no ${op} op, which ${c.architecture} models need`);
}

/** True when layer `layer` is a sliding-window layer (its own window and RoPE table). */
export function isSlidingLayer(c: LlamaConfig, layer: number): boolean {
  return c.block?.layerTypes?.[layer] === "sliding";
}

/** The RoPE of layer `layer`: the local one on a sliding layer when the pass has one, else the model's. */
export function layerRope<R>(c: LlamaConfig, layer: number, rope: R, localRope?: R): R {
  return localRope !== undefined && isSlidingLayer(c, layer) ? localRope : rope;
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
  const D = c.dim, H = c.hiddenDim, hd = c.headDim, b = c.block ?? {};
  const qDim = c.nHeads * hd, kvDim = c.nKvHeads * hd;
  const pre = b.norms !== "post", post = b.norms === "post" || b.norms === "pre+post";
  // With a post-norm the sublayer's output is normed before the residual add, so it cannot be fused.
  const residual = (out: B, xIn: B, w: W, K: number, norm: B | undefined) => {
    if (!post) return ops.matmulAdd({ out, x: xIn, w, T, K, N: D }, s.tmp);
    if (!ops.add) throw missingOp("add", c);
    ops.matmul({ out: s.tmp, x: xIn, w, T, K, N: D });
    ops.rmsnorm({ out: s.tmp, x: s.tmp, weight: norm!, T, D, eps: c.normEps });
    ops.add({ out, a: out, b: s.tmp, n: T * D });
  };
  tap?.("attn", x);
  if (pre) ops.rmsnorm({ out: s.h1, x, weight: l.attnNorm, T, D, eps: c.normEps });
  const h1 = pre ? s.h1 : x;
  ops.matmul({ out: s.q, x: h1, w: l.wq, bias: l.bq, T, K: D, N: qDim });
  ops.matmul({ out: s.k, x: h1, w: l.wk, bias: l.bk, T, K: D, N: kvDim });
  ops.matmul({ out: s.v, x: h1, w: l.wv, bias: l.bv, T, K: D, N: kvDim });
  if (b.qkNorm) {
    // Per head: T·heads rows of headDim channels; over the projection: T rows of heads·headDim.
    const perHead = b.qkNorm === "head";
    const norm = (x: B, weight: B | undefined, heads: number) =>
      ops.rmsnorm({
        out: x,
        x,
        weight: weight!,
        T: perHead ? T * heads : T,
        D: perHead ? hd : heads * hd,
        eps: c.normEps,
      });
    norm(s.q, l.qNorm, c.nHeads);
    norm(s.k, l.kNorm, c.nKvHeads);
  }
  ops.rope({ x: s.q, T, nHeads: c.nHeads, headDim: hd }, layer);
  ops.rope({ x: s.k, T, nHeads: c.nKvHeads, headDim: hd }, layer);
  ops.attention({
    out: s.att,
    q: s.q,
    k: s.k,
    v: s.v,
    T,
    nHeads: c.nHeads,
    nKvHeads: c.nKvHeads,
    headDim: hd,
    softmaxScale: b.softmaxScale,
    window: isSlidingLayer(c, layer) ? b.slidingWindow : undefined,
  }, layer);
  const postNorm = (pre ? l.postAttnNorm : l.attnNorm)!;
  residual(x, s.att, l.wo, qDim, post ? postNorm : undefined);
  tap?.("ffn", x);
  if (pre) ops.rmsnorm({ out: s.h2, x, weight: l.ffnNorm, T, D, eps: c.normEps });
  const h2 = pre ? s.h2 : x;
  ops.matmul({ out: s.gate, x: h2, w: l.wGate, T, K: D, N: H });
  ops.matmul({ out: s.up, x: h2, w: l.wUp, T, K: D, N: H });
  if (b.activation === "gelu-tanh") {
    if (!ops.gegluTanh) throw missingOp("gelu-tanh", c);
    ops.gegluTanh({ out: s.act, gate: s.gate, up: s.up, n: T * H });
  } else ops.swiglu({ out: s.act, gate: s.gate, up: s.up, n: T * H });
  residual(x, s.act, l.wDown, H, post ? (pre ? l.postFfnNorm : l.ffnNorm) : undefined);
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
