/**
 * CPU reference RoPE, numerically like Hugging Face (angles in float32; see `ropeRowCosSin`).
 *
 * @module
 */
import { checkRopeApply, type RopeApply, ropeRowCosSin } from "../rope_apply.ts";
import type { Vec } from "./vec.ts";

/** The rows one RoPE call rotates in place: x is [T][nHeads·headDim], row-major. */
export interface RopeRows<B = Vec> {
  x: B;
  T: number;
  nHeads: number;
  headDim: number;
}

/**
 * One RoPE call: the rows, and how to rotate them. Shared by the reference and its backward; the
 * WebGPU encoders take the same rows with the rotation as a host-computed cos/sin table.
 */
export interface RopeArgs<B = Vec> extends RopeRows<B> {
  /** Frequencies, scale, positions, pairing (see `RopeApply`). */
  rope: RopeApply;
  /** Apply the transposed rotation (angle −θ, same scale): RoPE's backward. */
  transpose?: boolean;
}

/**
 * Rotates x ([T][nHeads·headDim], row-major) in place as described by `rope`. With `transpose`, applies
 * the transposed rotation (angle −θ, same scale): the backward pass of RoPE, which maps the output
 * gradient to the input gradient.
 */
export function ropeRef({ x, T, nHeads, headDim, rope: p, transpose = false }: RopeArgs): void {
  checkRopeApply(p, headDim, T);
  const pairs = p.rotaryDim / 2;
  // Channel offsets (within a head) of the two members of pair i.
  const stride = p.pairing === "interleaved" ? 2 : 1;
  const partner = p.pairing === "interleaved" ? 1 : pairs;
  const cos = new Float32Array(pairs), sin = new Float32Array(pairs);
  for (let t = 0; t < T; t++) {
    ropeRowCosSin(p, t, cos, sin);
    if (transpose) { for (let i = 0; i < pairs; i++) sin[i] = -sin[i]; }
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * headDim;
      for (let i = 0; i < pairs; i++) {
        const a = base + i * stride, b = a + partner;
        const x0 = x[a], x1 = x[b];
        x[a] = x0 * cos[i] - x1 * sin[i];
        x[b] = x1 * cos[i] + x0 * sin[i];
      }
    }
  }
}
