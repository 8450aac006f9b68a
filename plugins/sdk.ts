/**
 * The plugin SDK (`@ropekit/ropekit/plugin`): the strategy contract's types, a typed
 * {@linkcode definePlugin}, and {@linkcode assertConformance} — the suite ropekit runs when it loads a
 * plugin, for the author's own tests. A plugin file itself stays one self-contained module (the
 * sandbox loads nothing else), so it imports types only; its tests import the helpers.
 *
 * @example A plugin and its test
 * ```ts
 * import { assertConformance, type PluginDefinition } from "./sdk.ts";
 *
 * const strategy = {
 *   apiVersion: 2,
 *   name: "my-pi",
 *   version: "0.1.0",
 *   description: "Position Interpolation by a fixed factor.",
 *   params: { factor: { type: "number", min: 1, default: 4, description: "Divides every frequency." } },
 *   table(spec, _ctx, params) {
 *     const f = params.factor as number;
 *     const invFreq = Array.from({ length: spec.rotaryDim / 2 }, (_, i) => spec.theta ** (-2 * i / spec.rotaryDim) / f);
 *     return { rotaryDim: spec.rotaryDim, invFreq, attentionScale: 1 };
 *   },
 * } satisfies PluginDefinition;
 *
 * await assertConformance(strategy);
 * ```
 *
 * @module
 */
export type {
  Pairing,
  ParamDef,
  Params,
  ParamSpace,
  ParamValue,
  RopeContext,
  RopeFrequencies,
  RopeSpec,
  RopeTable,
  Strategy,
} from "../strategies/types.ts";
export { STRATEGY_API_VERSION, SUPPORTED_API_VERSIONS } from "../strategies/types.ts";
export { makeSpec, type RopeSpecInit } from "../strategies/spec.ts";
export { type ConformanceFailure, conformanceSpecs } from "../strategies/conformance.ts";
export {
  assertConformance,
  type AssertConformanceOptions,
  definePlugin,
  PluginContractError,
  type PluginDefinition,
  type PluginFrequencies,
  type PluginTable,
} from "./define_plugin.ts";
