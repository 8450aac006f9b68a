/**
 * The strategy registry: explicit registration, lookup by ropekit or HF name, and the one place a
 * table is built (parameters resolved, result validated).
 *
 * @module
 */
import {
  type Params,
  type ParamSpace,
  type RopeContext,
  type RopeSpec,
  type RopeTable,
  type Strategy,
  STRATEGY_API_VERSION,
  SUPPORTED_API_VERSIONS,
} from "./types.ts";
import { resolveParams } from "./params.ts";
import { validateTable } from "./table.ts";
import { defaultStrategy } from "./default.ts";
import { piStrategy } from "./pi.ts";
import { ntkStrategy } from "./ntk.ts";
import { dynamicNtkStrategy } from "./dynamic_ntk.ts";
import { yarnStrategy } from "./yarn.ts";
import { llama3Strategy } from "./llama3.ts";
import { longropeStrategy } from "./longrope.ts";
import { longrope2Strategy } from "./longrope2.ts";
import { RopekitError } from "../util/errors.ts";
import { proportionalStrategy } from "./proportional.ts";

/** Thrown for an unknown strategy or one that breaks the contract. */
export class StrategyError extends RopekitError {
  /** The class name, as `String(error)` shows it. */
  override name = "StrategyError";
}

/** HF `rope_type` names (and the legacy `"su"`) that map to a differently named ropekit strategy. */
export const HF_ALIASES: Readonly<Record<string, string>> = {
  linear: "pi",
  dynamic: "dynamic-ntk",
  su: "longrope",
};

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PARAM_TYPES = new Set(["number", "integer", "boolean", "enum", "factors"]);

/** Checks the static shape of a strategy object; returns the reason it is unusable, or null. */
export function contractViolation(s: unknown): string | null {
  if (s === null || typeof s !== "object") return "not an object";
  const o = s as Record<string, unknown>;
  if (!SUPPORTED_API_VERSIONS.includes(o.apiVersion as number)) {
    return `apiVersion is ${JSON.stringify(o.apiVersion)}, this ropekit speaks ${
      SUPPORTED_API_VERSIONS.join(" and ")
    } (current ${STRATEGY_API_VERSION})`;
  }
  if (typeof o.name !== "string" || !KEBAB.test(o.name)) {
    return `name ${JSON.stringify(o.name)} is not kebab-case`;
  }
  if (typeof o.version !== "string" || o.version === "") return "missing version";
  if (typeof o.description !== "string") return "missing description";
  if (typeof o.table !== "function") return "missing table function";
  if (o.params === null || typeof o.params !== "object") return "params must be an object";
  for (const [key, def] of Object.entries(o.params as Record<string, unknown>)) {
    const d = def as Record<string, unknown> | null;
    if (!d || !PARAM_TYPES.has(d.type as string)) return `parameter "${key}" has no valid type`;
    if (d.type === "enum" && !Array.isArray(d.values)) return `enum parameter "${key}" needs values`;
  }
  return null;
}

/** A set of strategies by name. Built-ins are registered explicitly by {@linkcode builtinRegistry}. */
export class StrategyRegistry {
  #byName = new Map<string, Strategy>();

  /** Adds a strategy; throws on a contract violation or a name already taken. */
  register(strategy: Strategy): this {
    const why = contractViolation(strategy);
    if (why) throw new StrategyError(`Cannot register strategy: ${why}`);
    if (this.#byName.has(strategy.name) || strategy.name in HF_ALIASES) {
      throw new StrategyError(`Cannot register strategy "${strategy.name}": the name is taken`);
    }
    this.#byName.set(strategy.name, strategy);
    return this;
  }

  /** True when `name` (or its HF alias) is registered. */
  has(name: string): boolean {
    return this.#byName.has(HF_ALIASES[name] ?? name);
  }

  /** Looks a strategy up by ropekit name or HF `rope_type`; throws listing the known names. */
  get(name: string): Strategy {
    const s = this.#byName.get(HF_ALIASES[name] ?? name);
    if (!s) {
      throw new StrategyError(`Unknown strategy "${name}" (known: ${[...this.#byName.keys()].join(", ")})`);
    }
    return s;
  }

  /** All registered strategies in registration order. */
  list(): Strategy[] {
    return [...this.#byName.values()];
  }
}

/** The built-in strategies, in the order reports list them. */
export const BUILTIN_STRATEGIES: readonly Strategy[] = [
  defaultStrategy,
  piStrategy,
  ntkStrategy,
  dynamicNtkStrategy,
  yarnStrategy,
  llama3Strategy,
  longropeStrategy,
  longrope2Strategy,
  proportionalStrategy,
];

/**
 * A fresh registry holding the built-ins.
 *
 * @example Look strategies up by ropekit name or HF `rope_type`
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinRegistry } from "./registry.ts";
 *
 * const registry = builtinRegistry();
 * assert.equal(registry.get("linear").name, "pi"); // HF's name for Position Interpolation
 * assert.ok(registry.list().some((s) => s.name === "longrope2"));
 * assert.throws(() => registry.get("no-such-rope"), /Unknown strategy/);
 * ```
 */
export function builtinRegistry(): StrategyRegistry {
  const r = new StrategyRegistry();
  for (const s of BUILTIN_STRATEGIES) r.register(s);
  return r;
}

/** A strategy as GET /api/strategies lists it (and the web page reads it): no code, only data. */
export interface StrategyInfo {
  name: string;
  /** The contract version it was written for. */
  version: string;
  description: string;
  /** Shipped with ropekit (plugins are not). */
  builtin: boolean;
  params: ParamSpace;
}

/** `s` as {@linkcode StrategyInfo}. */
export function strategyInfo(s: Strategy): StrategyInfo {
  const { name, version, description, params } = s;
  return { name, version, description, builtin: BUILTIN_STRATEGIES.includes(s), params };
}

/**
 * Builds a validated table: parameters are checked against the strategy's declared space (unknown
 * names and out-of-range values throw), the strategy runs, and its result is validated before any
 * kernel can see it.
 *
 * @example PI at 4× divides every frequency by 4
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTable, builtinRegistry } from "./registry.ts";
 * import { makeSpec } from "./spec.ts";
 *
 * const spec = makeSpec({ headDim: 64, originalContext: 512 });
 * const registry = builtinRegistry();
 * const original = await buildTable(registry.get("default"), spec);
 * const pi = await buildTable(registry.get("pi"), spec, { targetLength: 2048 });
 * assert.equal(pi.invFreq.length, 32); // one inverse frequency per rotated pair
 * assert.ok(Math.abs(pi.invFreq[5] - original.invFreq[5] / 4) < 1e-12);
 * await assert.rejects(buildTable(registry.get("pi"), spec, {}, { factor: 0 }), /factor/);
 * ```
 */
export async function buildTable(
  strategy: Strategy,
  spec: RopeSpec,
  ctx: RopeContext = {},
  params: Params = {},
): Promise<RopeTable> {
  const resolved = resolveParams(strategy.name, strategy.params, params, spec);
  const table = await strategy.table(spec, ctx, resolved);
  // A version-1 strategy never meant a softmax scale: whatever it returned under that name is ignored.
  if (strategy.apiVersion === 1 && table && typeof table === "object") delete table.softmaxScale;
  return validateTable(table, spec);
}
