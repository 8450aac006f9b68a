/**
 * CPU reference RoPE, numerically like Hugging Face: angle = float32(pos) · float32(invFreq) rounded
 * to float32, cos/sin rounded to float32 and then multiplied by the scale.
 *
 * @module
 */
import { checkRopeApply, type RopeApply, ropePosition } from "../rope_apply.ts";

/** Rotates x ([T][nHeads·headDim], row-major) in place as described by `p`. */
export function ropeRef(x: Float32Array, T: number, nHeads: number, headDim: number, p: RopeApply): void {
  checkRopeApply(p, headDim, T);
  const pairs = p.rotaryDim / 2;
  // Channel offsets (within a head) of the two members of pair i.
  const stride = p.pairing === "interleaved" ? 2 : 1;
  const partner = p.pairing === "interleaved" ? 1 : pairs;
  const startTokens = p.startTokens ?? 0;
  const cos = new Float32Array(pairs), sin = new Float32Array(pairs);
  for (let t = 0; t < T; t++) {
    const pos = ropePosition(p, t);
    const early = pos < startTokens;
    const freq = early ? p.originalInvFreq! : p.invFreq;
    const scale = early ? 1 : p.scale;
    for (let i = 0; i < pairs; i++) {
      const angle = Math.fround(Math.fround(pos) * Math.fround(freq[i]));
      cos[i] = Math.fround(Math.cos(angle)) * scale;
      sin[i] = Math.fround(Math.sin(angle)) * scale;
    }
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
