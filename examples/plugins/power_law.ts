/**
 * A complete ropekit strategy plugin: "power-law" rescaling. Frequency pair i of n is divided by
 * s^(r^p), where r = i / (n − 1) runs from 0 (fastest pair: kept) to 1 (slowest pair: divided by s,
 * as Position Interpolation does) and the exponent p bends the ramp between them. At s = 1 it is
 * the model's own RoPE.
 *
 * Serve it (e.g. `deno run --allow-net --allow-read jsr:@std/http/file-server examples/plugins`) and
 * load it with `--strategy http://localhost:4507/power_law.ts`, or give its path.
 *
 * A plugin is one self-contained module: the sandbox lets it import nothing. The type-only import
 * below is erased before it runs; point it at your copy of ropekit, or delete it.
 *
 * @module
 */
import type { Strategy } from "../../strategies/types.ts";

export const strategy: Strategy = {
  apiVersion: 1,
  name: "power-law",
  version: "1.0.0",
  description: "Divides pair i of n by s^((i/(n-1))^exponent): high frequencies kept, low ones interpolated.",
  params: {
    factor: {
      type: "number",
      exclusiveMin: true,
      min: 0,
      optional: true,
      description: "Extension ratio s; defaults to target length / trained context.",
    },
    exponent: {
      type: "number",
      default: 1,
      min: 0.1,
      max: 10,
      description:
        "Shape of the ramp: 1 is geometric, above 1 keeps more pairs near their original frequency.",
    },
  },
  table(spec, ctx, params) {
    const s = typeof params.factor === "number"
      ? params.factor
      : (ctx.targetLength ?? spec.maxPositions) / spec.originalContext;
    const exponent = params.exponent as number;
    const pairs = spec.rotaryDim / 2;
    const invFreq = new Float64Array(pairs);
    for (let i = 0; i < pairs; i++) {
      const r = pairs === 1 ? 1 : i / (pairs - 1);
      // Contexts shorter than the trained one are left alone (s < 1 would speed rotation up).
      invFreq[i] = Math.pow(spec.theta, (-2 * i) / spec.rotaryDim) /
        Math.pow(Math.max(s, 1), Math.pow(r, exponent));
    }
    return { rotaryDim: spec.rotaryDim, invFreq, attentionScale: 1 };
  },
};
