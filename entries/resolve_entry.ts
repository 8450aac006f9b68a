/**
 * Resolving a strategy entry into the strategy and its checked parameters — the one implementation
 * behind every command, the server's requests, the queue's worker, export and the engines. An entry is
 * a string as users write it (`strategy_entry.ts`: `yarn:beta_fast=16`, `longrope2@result.json`, a
 * plugin URL, `config`) or the HTTP API's object form (`{name, params, label}`).
 *
 * @module
 */
import type { Params, Strategy } from "../strategies/types.ts";
import { parseParamArgs, resolveParams } from "../strategies/params.ts";
import type { StrategyRegistry } from "../strategies/registry.ts";
import { CONFIG_ENTRY, type ConfiguredRope } from "../strategies/config_rope.ts";
import { readSearchResult, SearchResultError } from "../search/result.ts";
import { EntryError, type EntryParts, parseEntry } from "./strategy_entry.ts";

/** A strategy ready to compare: what to call it, the strategy and its resolved parameters. */
export interface ResolvedEntry {
  /** The entry as written (used as the row label). */
  label: string;
  /** The strategy (built-in, or a loaded plugin's proxy) whose tables the entry builds. */
  strategy: Strategy;
  /** Its parameters: the entry's `k=v` pieces over a result file's, checked against its ParamSpace. */
  params: Params;
  /** The result file it came from, if any. */
  resultFile?: string;
  /** The target its table is built for whatever the run's (the `config` entry: HF's max_position_embeddings). */
  targetLength?: number;
}

/** Loads the plugin a plugin entry names (`parts.plugin`: its URL or path, with its pin if any). */
export type PluginResolver = (specifier: string) => Promise<Strategy>;

/** The HTTP API's object form of an entry: a registered strategy (or `config`) with parameter values. */
export interface EntryObject {
  /** A registered strategy's name, or `config`. */
  name: string;
  /** Parameter values (not strings), checked against the strategy's ParamSpace. */
  params?: Params;
  /** The row label; default: the name with the given parameters (`yarn:factor=4`). */
  label?: string;
}

/** What an entry is resolved against. */
export interface EntrySources {
  /** The strategies entries name. */
  registry: StrategyRegistry;
  /** Loads plugin entries; without one, a plugin entry is refused. */
  plugins?: PluginResolver;
  /** The model's declared scaling, which `config` stands for (plain RoPE when absent). */
  configRope?: ConfiguredRope;
  /**
   * Whether `name@result.json` may read the file (default true). The server says false: a request
   * must not make it read files of its choosing.
   */
  resultFiles?: boolean;
  /**
   * Whether the `config` entry is accepted (default true). Where a strategy is applied *to* a config
   * (`deno task rope --strategy`, the server's /api/rope), leaving the strategy out already means the
   * config's own scaling, so `config` there is refused.
   */
  configEntry?: boolean;
}

/** Reads a search result file through the one validated reader; returns its `params`. */
export async function readResultFile(path: string, expected: string): Promise<Params> {
  let doc;
  try {
    doc = await readSearchResult(path);
  } catch (e) {
    if (e instanceof SearchResultError) throw new EntryError(e.message);
    throw e;
  }
  if (doc.strategy !== expected) {
    throw new EntryError(`Result file ${path} is for strategy "${doc.strategy}", not "${expected}"`);
  }
  return doc.params;
}

/** `config`: the model's declared strategy and parameters, with `overrides` on top. */
function configEntry(
  label: string,
  sources: EntrySources,
  overrides: (s: Strategy) => Params,
): ResolvedEntry {
  const { registry, configRope } = sources;
  const strategy = registry.get(configRope?.strategy ?? "default");
  const params = resolveParams(strategy.name, strategy.params, {
    ...configRope?.params,
    ...overrides(strategy),
  });
  return { label, strategy, params, targetLength: configRope?.targetLength };
}

function resolveObject(entry: EntryObject, sources: EntrySources): ResolvedEntry {
  const given = Object.entries(entry.params ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  const label = entry.label ?? (given.length ? `${entry.name}:${given.join(",")}` : entry.name);
  if (entry.name === CONFIG_ENTRY) return configEntry(label, sources, () => entry.params ?? {});
  const strategy = sources.registry.get(entry.name);
  return { label, strategy, params: resolveParams(strategy.name, strategy.params, entry.params ?? {}) };
}

/**
 * The strategy a string entry names — a built-in from the registry, a plugin loaded through `plugins`, or
 * for `config` the model's declared one — with the entry's parsed parts (its `k=v` pieces not yet applied),
 * for callers that take the parameters elsewhere (`search` searches them, holding the entry's own fixed).
 *
 * @example The strategy of an entry, and the parameters it fixes
 * ```ts
 * import assert from "node:assert/strict";
 * import { entryStrategy } from "./resolve_entry.ts";
 * import { builtinRegistry } from "../strategies/mod.ts";
 *
 * const { strategy, parts } = await entryStrategy("yarn:beta_fast=16", { registry: builtinRegistry() });
 * assert.equal(strategy.name, "yarn");
 * assert.deepEqual(parts.paramArgs, ["beta_fast=16"]);
 * ```
 */
export async function entryStrategy(
  entry: string,
  sources: EntrySources,
): Promise<{ strategy: Strategy; parts: EntryParts }> {
  const parts = parseEntry(entry);
  const label = entry.trim();
  if (parts.plugin === undefined && parts.name === CONFIG_ENTRY) {
    if (sources.configEntry === false) {
      throw new EntryError(
        `"${label}" is not a strategy here: leave the strategy out to use the config's own rope_scaling`,
      );
    }
    if (parts.resultFile) throw new EntryError(`"${label}": config takes no result file`);
    return { strategy: sources.registry.get(sources.configRope?.strategy ?? "default"), parts };
  }
  if (parts.plugin === undefined) return { strategy: sources.registry.get(parts.name), parts };
  if (!sources.plugins) throw new EntryError(`"${label}" names a plugin, which this command does not load`);
  return { strategy: await sources.plugins(parts.plugin), parts };
}

/**
 * Resolves an entry: the strategy (a built-in from the registry, or a plugin through `plugins`), then
 * its parameters — a result file's, under the entry's own `k=v` pieces — checked against the
 * strategy's ParamSpace. `config` is the model's declared scaling with any overrides. Throws
 * {@linkcode EntryError}, `StrategyError` (unknown name) or `ParamError` (bad parameters).
 *
 * @example Resolving a built-in entry with an override
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEntry } from "./resolve_entry.ts";
 * import { builtinRegistry } from "../strategies/mod.ts";
 *
 * const entry = await resolveEntry("yarn:beta_fast=16", { registry: builtinRegistry() });
 * assert.equal(entry.strategy.name, "yarn");
 * assert.equal(entry.params.beta_fast, 16);
 * assert.equal(entry.params.beta_slow, 1); // the declared default, filled in
 * ```
 */
export async function resolveEntry(
  entry: string | EntryObject,
  sources: EntrySources,
): Promise<ResolvedEntry> {
  if (typeof entry !== "string") return resolveObject(entry, sources);
  const label = entry.trim();
  const { strategy, parts } = await entryStrategy(entry, sources);
  if (parts.plugin === undefined && parts.name === CONFIG_ENTRY) {
    return configEntry(label, sources, (s) => parseParamArgs(s.name, s.params, parts.paramArgs));
  }
  if (parts.resultFile !== undefined && sources.resultFiles === false) {
    throw new EntryError(
      `"${label}": name@result.json is not accepted here (it would read a file); send the params instead`,
    );
  }
  const fromFile = parts.resultFile ? await readResultFile(parts.resultFile, strategy.name) : {};
  const inline = parseParamArgs(strategy.name, strategy.params, parts.paramArgs);
  const params = resolveParams(strategy.name, strategy.params, { ...fromFile, ...inline });
  return { label, strategy, params, resultFile: parts.resultFile };
}
