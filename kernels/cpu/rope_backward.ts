/**
 * Backward of `ropeRef`. Per pair the forward is a rotation by the angle θ scaled by `scale`:
 * [x0', x1'] = [[c, −s], [s, c]]·[x0, x1] with c = scale·cos θ, s = scale·sin θ. Its transpose,
 * [[c, s], [−s, c]], maps the output gradient to the input gradient; the same cos/sin as the
 * forward (from `ropeRowCosSin`) are used so any strategy's table, positions and start tokens carry over.
 *
 * @module
 */
import { ropeRef } from "./rope.ts";
import type { RopeApply } from "../rope_apply.ts";
import type { Vec } from "./vec.ts";

/** Turns dOut ([T][nHeads·headDim]) into dx in place. Channels beyond rotaryDim pass through. */
export function ropeBackward(d: Vec, T: number, nHeads: number, headDim: number, p: RopeApply): void {
  ropeRef(d, T, nHeads, headDim, p, true);
}
