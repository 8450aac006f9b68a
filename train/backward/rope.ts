/**
 * Backward of `ropeRef`. Per pair the forward is a rotation by the angle θ scaled by `scale`:
 * [x0', x1'] = [[c, −s], [s, c]]·[x0, x1] with c = scale·cos θ, s = scale·sin θ. Its transpose,
 * [[c, s], [−s, c]], maps the output gradient to the input gradient; the same cos/sin as the
 * forward (from `ropeRowCosSin`) are used so any strategy's table, positions and start tokens carry over.
 *
 * @module
 */
import { checkRopeApply, type RopeApply, ropeRowCosSin } from "../../kernels/rope_apply.ts";
import type { Vec } from "./types.ts";

/** Turns dOut ([T][nHeads·headDim]) into dx in place. Channels beyond rotaryDim pass through. */
export function ropeBackward(d: Vec, T: number, nHeads: number, headDim: number, p: RopeApply): void {
  checkRopeApply(p, headDim, T);
  const pairs = p.rotaryDim / 2;
  const stride = p.pairing === "interleaved" ? 2 : 1;
  const partner = p.pairing === "interleaved" ? 1 : pairs;
  const cos = new Float32Array(pairs), sin = new Float32Array(pairs);
  for (let t = 0; t < T; t++) {
    ropeRowCosSin(p, t, cos, sin);
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * headDim;
      for (let i = 0; i < pairs; i++) {
        const a = base + i * stride, b = a + partner;
        const d0 = d[a], d1 = d[b];
        d[a] = d0 * cos[i] + d1 * sin[i];
        d[b] = d1 * cos[i] - d0 * sin[i];
      }
    }
  }
}
