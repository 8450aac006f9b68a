/** CPU reference residual add. @module */

/** out[i] = a[i] + b[i] (out may alias a or b). */
export function addRef(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}
