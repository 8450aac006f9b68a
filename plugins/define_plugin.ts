/**
 * The two helpers a plugin author calls: {@linkcode definePlugin} types a strategy object against the
 * contract, and {@linkcode assertConformance} runs, in the author's own tests, the conformance suite
 * ropekit runs when it loads the plugin.
 *
 * @module
 */
import type { Params, RopeContext, RopeSpec, RopeTable, Strategy } from "../strategies/types.ts";
import { checkConformance } from "../strategies/conformance.ts";
import { contractViolation } from "../strategies/registry.ts";
import { RopekitError } from "../util/errors.ts";

/** A strategy that breaks the contract or fails the conformance suite. */
export class PluginContractError extends RopekitError {}

/** Frequencies as a plugin may return them: plain arrays cross the sandbox boundary as well as typed ones. */
export interface PluginFrequencies {
  /** rotaryDim/2 inverse frequencies, radians per token. */
  invFreq: ArrayLike<number>;
  /** Multiplies cos and sin. */
  attentionScale: number;
}

/** A table as a plugin returns it: {@linkcode RopeTable} with plain arrays allowed. */
export type PluginTable =
  & Omit<RopeTable, "invFreq" | "short" | "original">
  & PluginFrequencies
  & { short?: PluginFrequencies; original?: ArrayLike<number> };

/** What a plugin module exports as `strategy`: the contract, with {@linkcode PluginTable} results. */
export interface PluginDefinition extends Omit<Strategy, "table"> {
  /** Pure: the same inputs give the same table. */
  table(spec: RopeSpec, ctx: RopeContext, params: Params): PluginTable | Promise<PluginTable>;
}

/**
 * Returns `strategy` unchanged after checking its shape (apiVersion, kebab-case name, version,
 * description, declared parameters, a `table` function), so a mistake fails where it is written
 * rather than when ropekit loads the file. In a plugin that must stay import-free (the sandbox loads
 * one self-contained module), use `import type { PluginDefinition }` with `satisfies PluginDefinition` instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin } from "./define_plugin.ts";
 *
 * export const strategy = definePlugin({
 *   apiVersion: 2,
 *   name: "half-speed",
 *   version: "0.1.0",
 *   description: "Every frequency halved.",
 *   params: {},
 *   table: (spec) => ({
 *     rotaryDim: spec.rotaryDim,
 *     invFreq: Float64Array.from(
 *       { length: spec.rotaryDim / 2 },
 *       (_, i) => 0.5 * spec.theta ** (-2 * i / spec.rotaryDim),
 *     ),
 *     attentionScale: 1,
 *   }),
 * });
 * assert.equal(strategy.name, "half-speed");
 * assert.throws(() => definePlugin({ ...strategy, name: "Half Speed" }), /not a ropekit strategy/);
 * ```
 */
export function definePlugin<S extends PluginDefinition>(strategy: S): S {
  const why = contractViolation(strategy);
  if (why) throw new PluginContractError(`not a ropekit strategy: ${why}`);
  return strategy;
}

/** Options of {@linkcode assertConformance}. */
export interface AssertConformanceOptions {
  /** Parameters the strategy needs (e.g. required factor arrays); may depend on the model spec. */
  params?: Params | ((spec: RopeSpec) => Params);
  /** The full spec grid (six model shapes) instead of the three ropekit checks on load. */
  full?: boolean;
}

/**
 * Runs the conformance suite (contract, parameter validation, deterministic valid tables over several
 * model shapes and extension ratios) and throws one {@linkcode PluginContractError} listing every
 * failure; resolves when the strategy conforms.
 *
 * @example A built-in conforms; a strategy whose table ignores the spec does not
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertConformance, PluginContractError, type PluginDefinition } from "./define_plugin.ts";
 * import { builtinRegistry } from "../strategies/registry.ts";
 *
 * await assertConformance(builtinRegistry().get("yarn"));
 * const fixedSize = {
 *   apiVersion: 2,
 *   name: "fixed-size",
 *   version: "0.1.0",
 *   description: "Always four pairs, whatever the model.",
 *   params: {},
 *   table: () => ({ rotaryDim: 8, invFreq: [1, 0.1, 0.01, 0.001], attentionScale: 1 }),
 * } satisfies PluginDefinition;
 * await assert.rejects(assertConformance(fixedSize), PluginContractError);
 * ```
 */
export async function assertConformance(
  strategy: PluginDefinition,
  options: AssertConformanceOptions = {},
): Promise<void> {
  const why = contractViolation(strategy);
  if (why) throw new PluginContractError(`not a ropekit strategy: ${why}`);
  // Plain arrays are fine as they are: the suite passes every table through validateTable, which turns
  // them into Float64Array exactly as the sandbox's loader does for a plugin's results.
  const failures = await checkConformance(strategy as unknown as Strategy, {
    params: options.params,
    fast: !options.full,
  });
  if (failures.length > 0) {
    const lines = failures.map((f) => `${f.check}: ${f.message}`);
    throw new PluginContractError(`${failures.length} conformance failure(s): ${lines.join("; ")}`);
  }
}
