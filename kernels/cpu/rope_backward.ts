/**
 * Backward of `ropeRef`. Per pair the forward is a rotation by the angle θ scaled by `scale`:
 * [x0', x1'] = [[c, −s], [s, c]]·[x0, x1] with c = scale·cos θ, s = scale·sin θ. Its transpose,
 * [[c, s], [−s, c]], maps the output gradient to the input gradient; the same cos/sin as the
 * forward (from `ropeRowCosSin`) are used so any strategy's table, positions and start tokens carry over.
 *
 * @module
 */
import { type RopeArgs, ropeRef } from "./rope.ts";

/** Turns dOut (`x`, [T][nHeads·headDim]) into dx in place. Channels beyond rotaryDim pass through. */
export function ropeBackward(a: Omit<RopeArgs, "transpose">): void {
  ropeRef({ ...a, transpose: true });
}
