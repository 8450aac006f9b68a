/** CPU reference SwiGLU. @module */

/** out[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^-g). out may alias gate or up. */
export function swigluRef(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}
