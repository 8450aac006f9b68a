/**
 * Native (C) versions of the training ops that dominate a step: the matmul and its backward, causal
 * attention's backward, and the LM head's NLL gradient. Same argument types and accumulation (+=) as the
 * references in `kernels/cpu/*_backward.ts`, which the tests compare them with. Weights change every step, so
 * these pack matrices per call (into reused scratch) instead of using the inference packing cache.
 * Each runs on `fastKernels()` (native, else WebAssembly) unless given the kernel set `nk`.
 *
 * @module
 */
import { attentionFirstKeys, gqaGroupSize } from "../cpu/attention.ts";
import type { AttentionBackwardArgs } from "../cpu/attention_backward.ts";
import type { LogitsNllBackwardArgs } from "../cpu/logits_backward.ts";
import type { MatmulArgs } from "../cpu/matmul.ts";
import type { MatmulBackwardArgs } from "../cpu/matmul_backward.ts";
import type { SwigluArgs } from "../cpu/swiglu.ts";
import type { SwigluBackwardArgs } from "../cpu/swiglu_backward.ts";
import { requireFastKernels } from "../fast_kernels.ts";
import type { NativeSymbols } from "./lib.ts";

/** Scratch buffers reused across calls, grown on demand (one training step calls these ~10× per layer). */
const scratch = new Map<string, Float32Array<ArrayBuffer>>();
function buffer(name: string, floats: number): Float32Array<ArrayBuffer> {
  let b = scratch.get(name);
  if (!b || b.length < floats) {
    b = new Float32Array(Math.max(floats, Math.ceil((b?.length ?? 0) * 1.5)));
    scratch.set(name, b);
  }
  return b;
}

/** Packs the [N][K] view src[n·sn + k·sk] for rk_matmul into the scratch buffer `name`. */
function pack(
  nk: NativeSymbols,
  name: string,
  src: Float32Array,
  N: number,
  K: number,
  sn: number,
  sk: number,
) {
  const p = buffer(name, Number(nk.rk_packed_floats(N, K)));
  nk.rk_pack_strided(p, src, N, K, BigInt(sn), BigInt(sk));
  return p;
}

/** out[T×N] = x[T×K]·w[N×K]ᵀ (+ bias), with `w` packed now (it may have changed since the last call). */
export function matmulTrainNative(
  { out, x, w, T, K, N, bias }: MatmulArgs,
  nk: NativeSymbols = requireFastKernels(),
): void {
  nk.rk_matmul(out, x, pack(nk, "w", w, N, K, K, 1), bias ?? null, T, K, N, 0);
}

/** As `matmulBackward`: dx += dOut·w, dW += dOutᵀ·x, dBias += Σ_t dOut[t] (dx may be undefined). */
export function matmulBackwardNative(
  { dx, dW, dBias, dOut, x, w, T, K, N }: MatmulBackwardArgs<Float32Array>,
  nk: NativeSymbols = requireFastKernels(),
): void {
  // dW[N×K] += dOutᵀ[N×T] · x[T×K]: the "weights" are x viewed as [K][T].
  const dOutT = buffer("dOutT", N * T);
  nk.rk_transpose(dOutT, dOut, T, N);
  nk.rk_matmul(dW, dOutT, pack(nk, "x", x, K, T, 1, K), null, N, T, K, 1);
  // dx[T×K] += dOut[T×N] · w[N×K]: the "weights" are w viewed as [K][N].
  if (dx) nk.rk_matmul(dx, dOut, pack(nk, "w", w, K, N, 1, K), null, T, N, K, 1);
  if (dBias) {
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) dBias[n] += dOut[t * N + n];
  }
}

/** As `causalAttentionBackward` (same layouts; dq, dk, dv accumulated). */
export function attentionBackwardNative(
  a: AttentionBackwardArgs<Float32Array>,
  nk: NativeSymbols = requireFastKernels(),
): void {
  const { dq, dk, dv, dOut, q, k, v, out, T, nHeads, nKvHeads, headDim } = a;
  gqaGroupSize(nHeads, nKvHeads);
  const scale = a.softmaxScale ?? 1 / Math.sqrt(headDim);
  const first = attentionFirstKeys(T, a);
  nk.rk_attention_backward(dq, dk, dv, dOut, q, k, v, out, T, nHeads, nKvHeads, headDim, scale, first);
}

/**
 * As `logitsNllBackward`: returns per-token NLL of `targets` under hidden·wclsᵀ and accumulates the
 * gradient of lossScale·Σ nll into dHidden and dWcls. Holds T×V logits (T = 2048, V = 32000: 260 MB
 * — fine for the small vocabularies ropekit trains; chunk rows for larger ones).
 */
export function logitsNllBackwardNative(
  { dHidden, dWcls, hidden, wcls, targets, T, D, V, lossScale }: LogitsNllBackwardArgs<Float32Array>,
  nk: NativeSymbols = requireFastKernels(),
): Float64Array {
  for (let t = 0; t < T; t++) {
    if (!(targets[t] >= 0 && targets[t] < V)) {
      throw new RangeError(`target ${targets[t]} outside the vocabulary`);
    }
  }
  const logits = buffer("logits", T * V), nll = buffer("nll", T);
  nk.rk_matmul(logits, hidden, pack(nk, "w", wcls, V, D, D, 1), null, T, D, V, 0);
  nk.rk_softmax_nll_grad(logits, nll, targets, T, V, lossScale);
  const dOut = logits.subarray(0, T * V);
  matmulBackwardNative({ dx: dHidden, dW: dWcls, dOut, x: hidden, w: wcls, T, K: D, N: V }, nk);
  return Float64Array.from(nll.subarray(0, T));
}

/** As `swigluRef`: out[i] = silu(gate[i])·up[i]. */
export function swigluNative(
  { out, gate, up, n }: SwigluArgs,
  nk: NativeSymbols = requireFastKernels(),
): void {
  nk.rk_swiglu(out, gate, up, BigInt(n));
}

/** As `swigluBackward`: dGate += dOut·up·silu'(gate), dUp += dOut·silu(gate). */
export function swigluBackwardNative(
  { dGate, dUp, dOut, gate, up, n }: SwigluBackwardArgs<Float32Array>,
  nk: NativeSymbols = requireFastKernels(),
): void {
  nk.rk_swiglu_backward(dGate, dUp, dOut, gate, up, BigInt(n));
}
