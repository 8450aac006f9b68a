/** `default`: the model's own RoPE, `inv_i = 1 / θ^(2i/d)`, attention scale 1. @module */
import { type Strategy, STRATEGY_API_VERSION } from "./types.ts";
import { baseInvFreq } from "./float32.ts";
import { plainTable } from "./common.ts";

/** Unscaled RoPE (HF `default`): the baseline every extension is measured against. */
export const defaultStrategy: Strategy = {
  apiVersion: STRATEGY_API_VERSION,
  name: "default",
  version: "1.0.0",
  description: "Original RoPE, no scaling (extrapolates past the trained context).",
  params: {},
  table: (spec) => plainTable(spec, baseInvFreq(spec.theta, spec.rotaryDim), 1),
};
