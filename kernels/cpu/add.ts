/** CPU reference residual add. @module */

/** Buffers of one elementwise add over n elements: shared by the reference and (B = GPUBuffer) the WebGPU encoder. */
export interface AddArgs<B = Float32Array> {
  /** Written; may alias a or b. */
  out: B;
  a: B;
  b: B;
  n: number;
}

/** out[i] = a[i] + b[i] (out may alias a or b). */
export function addRef({ out, a, b, n }: AddArgs): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}
