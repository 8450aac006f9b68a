/**
 * Forward and backward pass of the llama model over a batch of token windows: the next-token NLL
 * and its gradient with respect to every weight. The forward is `model/llama_block.ts` on the training
 * engine's ops (the CPU backend's kernels in the same order), keeping each layer's activations for the
 * backward.
 *
 * Each window carries its own RoPE and optional document starts, which is what mixed context window
 * training needs: packed short documents use per-document masks, positions that restart per
 * document and the original RoPE; long documents use full attention and the rescaled RoPE.
 *
 * @module
 */
import { embedRef, rmsnormRef, type RopeApply, ropeRef } from "../kernels/cpu/mod.ts";
import type { LayerWeights, LlamaConfig, LlamaWeights } from "../model/config.ts";
import { type BlockOps, llamaBlock } from "../model/llama_block.ts";
import { embedBackward, rmsnormBackward, ropeBackward } from "../kernels/cpu/mod.ts";
import { type TrainEngine, type TrainOps, trainOps } from "./ops.ts";

/** One training sequence: T + 1 tokens give T predictions. */
export interface TrainWindow {
  tokens: Int32Array;
  /** RoPE of this window; set `positions` for packed documents (see {@linkcode packedPositions}). */
  rope: RopeApply;
  /** Sorted start rows of packed documents; each row attends only within its document. */
  docStarts?: Int32Array;
}

/** Options of {@linkcode forwardBackward}. */
export interface GradOptions {
  /** Gradients are of lossScale·Σ nll. Default 1 / (predicted tokens in `windows`): the mean. */
  lossScale?: number;
  /**
   * "native" (the C kernels; the default when built), "js" (f32 JavaScript), or "f64": activations in
   * Float64Array (the weights and gradients must then be Float64Array too, typed as Float32Array),
   * only for gradient checks, where finite differences need f64.
   */
  engine?: TrainEngine;
}

/** What a pass returns; gradients were added into the `grads` given. */
export interface GradResult {
  /** Σ nll over all predicted tokens (f64 sum). */
  nllSum: number;
  tokens: number;
}

/** Position ids restarting at 0 at every document start (rows before the first start count from 0). */
export function packedPositions(T: number, docStarts: Int32Array): Int32Array {
  const pos = new Int32Array(T);
  let start = 0;
  for (let t = 0, d = 0; t < T; t++) {
    while (d < docStarts.length && docStarts[d] <= t) start = docStarts[d++];
    pos[t] = t - start;
  }
  return pos;
}

/**
 * Runs every window forward and backward, adding d(lossScale·Σ nll)/dθ into `grads` (shaped by
 * `zeroGradients`; the caller zeroes it, so micro-batches accumulate).
 */
export function forwardBackward(
  w: LlamaWeights,
  grads: LlamaWeights,
  windows: TrainWindow[],
  opts: GradOptions = {},
): GradResult {
  const total = windows.reduce((n, win) => n + win.tokens.length - 1, 0);
  const lossScale = opts.lossScale ?? 1 / total;
  const kernels = trainOps(opts.engine);
  return { nllSum: batchPass(w, grads, windows, lossScale, kernels), tokens: total };
}

/** Where a window's rows sit in the batch: rows [offset, offset + T). */
interface Segment {
  win: TrainWindow;
  offset: number;
  T: number;
}

/** Activations of one layer kept for the backward pass. */
interface Saved {
  xIn: Float32Array;
  h1: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  att: Float32Array;
  xMid: Float32Array;
  h2: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  act: Float32Array;
}

/**
 * All windows forward and backward at once: their rows are stacked, so every matmul runs over the
 * whole batch (a few large products instead of many small ones), while RoPE and attention run per
 * window with its own table and document mask. Returns Σ nll.
 */
function batchPass(
  w: LlamaWeights,
  g: LlamaWeights,
  windows: TrainWindow[],
  lossScale: number,
  kernels: TrainOps,
): number {
  const c = w.config, alloc = kernels.alloc;
  const D = c.dim, H = c.hiddenDim, qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  const segments: Segment[] = [];
  let R = 0;
  for (const win of windows) {
    const T = win.tokens.length - 1;
    if (T < 1) throw new RangeError("a training window needs at least 2 tokens");
    segments.push({ win, offset: R, T });
    R += T;
  }
  const inputs = new Int32Array(R), targets = new Int32Array(R);
  for (const { win, offset, T } of segments) {
    inputs.set(win.tokens.subarray(0, T), offset);
    targets.set(win.tokens.subarray(1), offset);
  }
  const x = alloc(R * D);
  embedRef({ out: x, table: w.embedding, tokens: inputs, D });
  const ops = trainBlockOps(segments, kernels), tmp = alloc(R * D);
  const saved = w.layers.map((l, i) => layerForward(c, l, i, x, R, ops, alloc, tmp));
  const hF = alloc(R * D);
  rmsnormRef({ out: hF, x, weight: w.finalNorm, T: R, D, eps: c.normEps });
  const dhF = alloc(R * D);
  const nll = kernels.logitsNllBackward({
    dHidden: dhF,
    dWcls: g.classifier,
    hidden: hF,
    wcls: w.classifier,
    targets,
    T: R,
    D,
    V: c.vocabSize,
    lossScale,
  });

  const dx = alloc(R * D);
  rmsnormBackward({ dx, dWeight: g.finalNorm, dOut: dhF, x, weight: w.finalNorm, T: R, D, eps: c.normEps });
  for (let i = w.layers.length - 1; i >= 0; i--) {
    const l = w.layers[i], gl = g.layers[i], s = saved[i];
    // Feed-forward half: dx holds d/d(x after the block); the residual passes it through unchanged.
    const dAct = alloc(R * H), dGate = alloc(R * H), dUp = alloc(R * H), dh2 = alloc(R * D);
    kernels.matmulBackward({ dx: dAct, dW: gl.wDown, dOut: dx, x: s.act, w: l.wDown, T: R, K: H, N: D });
    kernels.swigluBackward({ dGate, dUp, dOut: dAct, gate: s.gate, up: s.up, n: R * H });
    kernels.matmulBackward({ dx: dh2, dW: gl.wGate, dOut: dGate, x: s.h2, w: l.wGate, T: R, K: D, N: H });
    kernels.matmulBackward({ dx: dh2, dW: gl.wUp, dOut: dUp, x: s.h2, w: l.wUp, T: R, K: D, N: H });
    rmsnormBackward({
      dx,
      dWeight: gl.ffnNorm,
      dOut: dh2,
      x: s.xMid,
      weight: l.ffnNorm,
      T: R,
      D,
      eps: c.normEps,
    });
    // Attention half.
    const dAtt = alloc(R * qDim), dq = alloc(R * qDim), dk = alloc(R * kvDim), dv = alloc(R * kvDim);
    kernels.matmulBackward({ dx: dAtt, dW: gl.wo, dOut: dx, x: s.att, w: l.wo, T: R, K: qDim, N: D });
    for (const { win, offset: o, T } of segments) {
      const qs = (a: Float32Array) => a.subarray(o * qDim, (o + T) * qDim);
      const kvs = (a: Float32Array) => a.subarray(o * kvDim, (o + T) * kvDim);
      kernels.attentionBackward({
        dq: qs(dq),
        dk: kvs(dk),
        dv: kvs(dv),
        dOut: qs(dAtt),
        q: qs(s.q),
        k: kvs(s.k),
        v: kvs(s.v),
        out: qs(s.att),
        T,
        nHeads: c.nHeads,
        nKvHeads: c.nKvHeads,
        headDim: c.headDim,
        docStarts: win.docStarts,
      });
      ropeBackward({ x: qs(dq), T, nHeads: c.nHeads, headDim: c.headDim, rope: win.rope });
      ropeBackward({ x: kvs(dk), T, nHeads: c.nKvHeads, headDim: c.headDim, rope: win.rope });
    }
    const dh1 = alloc(R * D);
    kernels.matmulBackward({
      dx: dh1,
      dW: gl.wq,
      dBias: gl.bq,
      dOut: dq,
      x: s.h1,
      w: l.wq,
      T: R,
      K: D,
      N: qDim,
    });
    kernels.matmulBackward({
      dx: dh1,
      dW: gl.wk,
      dBias: gl.bk,
      dOut: dk,
      x: s.h1,
      w: l.wk,
      T: R,
      K: D,
      N: kvDim,
    });
    kernels.matmulBackward({
      dx: dh1,
      dW: gl.wv,
      dBias: gl.bv,
      dOut: dv,
      x: s.h1,
      w: l.wv,
      T: R,
      K: D,
      N: kvDim,
    });
    rmsnormBackward({
      dx,
      dWeight: gl.attnNorm,
      dOut: dh1,
      x: s.xIn,
      weight: l.attnNorm,
      T: R,
      D,
      eps: c.normEps,
    });
  }
  embedBackward({ dTable: g.embedding, dOut: dx, tokens: inputs, D });
  let sum = 0;
  for (let t = 0; t < R; t++) sum += nll[t];
  return sum;
}

/**
 * The block ops of a training pass: the engine's matmul, SwiGLU and attention, JS RMSNorm and RoPE,
 * with RoPE and attention run per window (its own table and document mask) over the stacked rows.
 */
function trainBlockOps(segments: Segment[], { attention, matmul, swiglu }: TrainOps): BlockOps<Float32Array> {
  /** Rows [offset, offset + T) of each window in a buffer of `width` values per row. */
  const rows = (a: Float32Array, o: number, T: number, width: number) =>
    a.subarray(o * width, (o + T) * width);
  return {
    rmsnorm: rmsnormRef,
    matmul,
    matmulAdd(a, tmp) {
      matmul({ ...a, out: tmp });
      const x = a.out;
      for (let i = 0; i < a.T * a.N; i++) x[i] += tmp[i];
    },
    rope({ x, nHeads, headDim }) {
      for (const { win, offset, T } of segments) {
        ropeRef({ x: rows(x, offset, T, nHeads * headDim), T, nHeads, headDim, rope: win.rope });
      }
    },
    attention(a) {
      const qDim = a.nHeads * a.headDim, kvDim = a.nKvHeads * a.headDim;
      for (const { win, offset: o, T } of segments) {
        attention({
          ...a,
          out: rows(a.out, o, T, qDim),
          q: rows(a.q, o, T, qDim),
          k: rows(a.k, o, T, kvDim),
          v: rows(a.v, o, T, kvDim),
          T,
          docStarts: win.docStarts,
        });
      }
    },
    swiglu,
  };
}

/** One block forward over the stacked rows x (in place), keeping what the backward pass needs. */
function layerForward(
  c: LlamaConfig,
  l: LayerWeights,
  layer: number,
  x: Float32Array,
  R: number,
  ops: BlockOps<Float32Array>,
  alloc: (n: number) => Float32Array,
  tmp: Float32Array,
): Saved {
  const D = c.dim, H = c.hiddenDim, qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  const s: Saved = {
    xIn: alloc(R * D),
    h1: alloc(R * D),
    q: alloc(R * qDim),
    k: alloc(R * kvDim),
    v: alloc(R * kvDim),
    att: alloc(R * qDim),
    xMid: alloc(R * D),
    h2: alloc(R * D),
    gate: alloc(R * H),
    up: alloc(R * H),
    act: alloc(R * H),
  };
  llamaBlock(
    ops,
    c,
    l,
    layer,
    R,
    x,
    { ...s, tmp },
    (where, xs) => (where === "attn" ? s.xIn : s.xMid).set(xs),
  );
  return s;
}
