/** CPU reference gated GELU (tanh form), Gemma's MLP activation. @module */
import type { SwigluArgs } from "./swiglu.ts";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * out[i] = gelu_tanh(gate[i]) · up[i], gelu_tanh(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))) — PyTorch's
 * `gelu(approximate="tanh")` (transformers' gelu_pytorch_tanh). Same buffers as SwiGLU; out may alias gate or up.
 */
export function gegluTanhRef({ out, gate, up, n }: SwigluArgs): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = 0.5 * g * (1 + Math.tanh(SQRT_2_OVER_PI * (g + 0.044715 * g * g * g))) * up[i];
  }
}
