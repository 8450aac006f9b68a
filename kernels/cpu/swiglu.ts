/** CPU reference SwiGLU. @module */

/** Buffers of one SwiGLU over n elements: shared by the reference, native/WebAssembly and (B = GPUBuffer) WebGPU versions. */
export interface SwigluArgs<B = Float32Array> {
  /** Written; may alias gate or up. */
  out: B;
  gate: B;
  up: B;
  n: number;
}

/** out[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^-g). out may alias gate or up. */
export function swigluRef({ out, gate, up, n }: SwigluArgs): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}
