/**
 * Forward and backward pass of the llama model over a batch of token windows: the next-token NLL
 * and its gradient with respect to every weight. The forward is the CPU backend's (same kernels in
 * the same order), keeping each layer's activations for the backward.
 *
 * Each window carries its own RoPE and optional document starts, which is what mixed context window
 * training needs: packed short documents use per-document masks, positions that restart per
 * document and the original RoPE; long documents use full attention and the rescaled RoPE.
 *
 * @module
 */
import { causalAttentionFast } from "../kernels/cpu/attention_fast.ts";
import {
  causalAttentionRef,
  embedRef,
  matmulRef,
  rmsnormRef,
  type RopeApply,
  ropeRef,
  swigluRef,
} from "../kernels/cpu/mod.ts";
import type { LayerWeights, LlamaConfig, LlamaWeights } from "../model/config.ts";
import {
  causalAttentionBackward,
  embedBackward,
  logitsNllBackward,
  matmulBackward,
  rmsnormBackward,
  ropeBackward,
  swigluBackward,
} from "./backward/mod.ts";

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
   * "f64" runs activations in Float64Array (the weights and gradients must then be Float64Array too,
   * typed as Float32Array): only for gradient checks, where finite differences need f64. Default "f32".
   */
  precision?: "f32" | "f64";
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
  const kernels: Kernels = opts.precision === "f64"
    ? {
      alloc: (n) => new Float64Array(n) as unknown as Float32Array, // the kernels only index arrays
      // The fast kernel's e^x (6e-9 relative) is far below f32 rounding but not below the f64 checks'.
      attention: causalAttentionRef,
    }
    : { alloc: (n) => new Float32Array(n), attention: causalAttentionFast };
  let nllSum = 0;
  for (const win of windows) nllSum += windowPass(w, grads, win, lossScale, kernels);
  return { nllSum, tokens: total };
}

/** What differs between the f32 (training) and f64 (gradient check) passes. */
interface Kernels {
  alloc: (n: number) => Float32Array;
  attention: typeof causalAttentionRef;
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

/** One window forward and backward; returns its Σ nll. */
function windowPass(
  w: LlamaWeights,
  g: LlamaWeights,
  win: TrainWindow,
  lossScale: number,
  kernels: Kernels,
): number {
  const c = w.config, alloc = kernels.alloc;
  const T = win.tokens.length - 1;
  const D = c.dim, H = c.hiddenDim, qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  const inputs = win.tokens.subarray(0, T);
  const x = alloc(T * D);
  embedRef(x, w.embedding, inputs, D);
  const saved = w.layers.map((l) => layerForward(c, l, x, win, kernels));
  const hF = alloc(T * D);
  rmsnormRef(hF, x, w.finalNorm, T, D, c.normEps);
  const dhF = alloc(T * D);
  const nll = logitsNllBackward(
    dhF,
    g.classifier,
    hF,
    w.classifier,
    win.tokens.subarray(1),
    T,
    D,
    c.vocabSize,
    lossScale,
  );

  const dx = alloc(T * D);
  rmsnormBackward(dx, g.finalNorm, dhF, x, w.finalNorm, T, D, c.normEps);
  for (let i = w.layers.length - 1; i >= 0; i--) {
    const l = w.layers[i], gl = g.layers[i], s = saved[i];
    // Feed-forward half: dx holds d/d(x after the block); the residual passes it through unchanged.
    const dAct = alloc(T * H), dGate = alloc(T * H), dUp = alloc(T * H), dh2 = alloc(T * D);
    matmulBackward(dAct, gl.wDown, undefined, dx, s.act, l.wDown, T, H, D);
    swigluBackward(dGate, dUp, dAct, s.gate, s.up, T * H);
    matmulBackward(dh2, gl.wGate, undefined, dGate, s.h2, l.wGate, T, D, H);
    matmulBackward(dh2, gl.wUp, undefined, dUp, s.h2, l.wUp, T, D, H);
    rmsnormBackward(dx, gl.ffnNorm, dh2, s.xMid, l.ffnNorm, T, D, c.normEps);
    // Attention half.
    const dAtt = alloc(T * qDim), dq = alloc(T * qDim), dk = alloc(T * kvDim), dv = alloc(T * kvDim);
    matmulBackward(dAtt, gl.wo, undefined, dx, s.att, l.wo, T, qDim, D);
    causalAttentionBackward(dq, dk, dv, dAtt, s.q, s.k, s.v, s.att, T, c.nHeads, c.nKvHeads, c.headDim, {
      docStarts: win.docStarts,
    });
    ropeBackward(dq, T, c.nHeads, c.headDim, win.rope);
    ropeBackward(dk, T, c.nKvHeads, c.headDim, win.rope);
    const dh1 = alloc(T * D);
    matmulBackward(dh1, gl.wq, gl.bq, dq, s.h1, l.wq, T, D, qDim);
    matmulBackward(dh1, gl.wk, gl.bk, dk, s.h1, l.wk, T, D, kvDim);
    matmulBackward(dh1, gl.wv, gl.bv, dv, s.h1, l.wv, T, D, kvDim);
    rmsnormBackward(dx, gl.attnNorm, dh1, s.xIn, l.attnNorm, T, D, c.normEps);
  }
  embedBackward(g.embedding, dx, inputs, D);
  let sum = 0;
  for (let t = 0; t < T; t++) sum += nll[t];
  return sum;
}

/** One block forward over x (in place), keeping what the backward pass needs. */
function layerForward(
  c: LlamaConfig,
  l: LayerWeights,
  x: Float32Array,
  win: TrainWindow,
  { alloc, attention }: Kernels,
): Saved {
  const T = win.tokens.length - 1;
  const D = c.dim, H = c.hiddenDim, qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  const s: Saved = {
    xIn: alloc(T * D),
    h1: alloc(T * D),
    q: alloc(T * qDim),
    k: alloc(T * kvDim),
    v: alloc(T * kvDim),
    att: alloc(T * qDim),
    xMid: alloc(T * D),
    h2: alloc(T * D),
    gate: alloc(T * H),
    up: alloc(T * H),
    act: alloc(T * H),
  };
  s.xIn.set(x);
  rmsnormRef(s.h1, x, l.attnNorm, T, D, c.normEps);
  matmulRef(s.q, s.h1, l.wq, T, D, qDim, l.bq);
  matmulRef(s.k, s.h1, l.wk, T, D, kvDim, l.bk);
  matmulRef(s.v, s.h1, l.wv, T, D, kvDim, l.bv);
  ropeRef(s.q, T, c.nHeads, c.headDim, win.rope);
  ropeRef(s.k, T, c.nKvHeads, c.headDim, win.rope);
  attention(s.att, s.q, s.k, s.v, T, c.nHeads, c.nKvHeads, c.headDim, { docStarts: win.docStarts });
  const tmp = alloc(T * D);
  matmulRef(tmp, s.att, l.wo, T, qDim, D);
  for (let i = 0; i < T * D; i++) x[i] += tmp[i];
  s.xMid.set(x);
  rmsnormRef(s.h2, x, l.ffnNorm, T, D, c.normEps);
  matmulRef(s.gate, s.h2, l.wGate, T, D, H);
  matmulRef(s.up, s.h2, l.wUp, T, D, H);
  swigluRef(s.act, s.gate, s.up, T * H);
  matmulRef(tmp, s.act, l.wDown, T, H, D);
  for (let i = 0; i < T * D; i++) x[i] += tmp[i];
  return s;
}
