/** Backward of `swigluRef` (out = silu(gate)·up). @module */
import type { Vec } from "./vec.ts";

/** Buffers of one SwiGLU backward (forward: out = silu(gate)·up over n elements); dGate and dUp accumulate. */
export interface SwigluBackwardArgs<B = Vec> {
  dGate: B;
  dUp: B;
  dOut: B;
  gate: B;
  up: B;
  n: number;
}

/**
 * With σ = sigmoid(g): d silu(g)/dg = σ·(1 + g·(1 − σ)). dGate += dOut·up·σ(1 + g(1 − σ)),
 * dUp += dOut·g·σ. Accumulates; the outputs must not alias the inputs.
 */
export function swigluBackward({ dGate, dUp, dOut, gate, up, n }: SwigluBackwardArgs): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = 1 / (1 + Math.exp(-g));
    dGate[i] += dOut[i] * up[i] * s * (1 + g * (1 - s));
    dUp[i] += dOut[i] * g * s;
  }
}
