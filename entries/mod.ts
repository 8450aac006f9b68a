/**
 * Strategy entries — `yarn:beta_fast=16`, `longrope2@result.json`, a plugin URL, `config` — parsed and
 * resolved into a strategy with checked parameters, the one way every command, the server, export and
 * the engines do it.
 *
 * @example Parsing and resolving a list
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEntry, splitEntries } from "./mod.ts";
 * import { builtinRegistry } from "../strategies/mod.ts";
 *
 * const registry = builtinRegistry();
 * const entries = await Promise.all(
 *   splitEntries("pi,yarn:beta_fast=16,beta_slow=2").map((e) => resolveEntry(e, { registry })),
 * );
 * assert.equal(entries[1].label, "yarn:beta_fast=16,beta_slow=2");
 * assert.deepEqual(entries[1].params, { ...entries[1].params, beta_fast: 16, beta_slow: 2 });
 * ```
 *
 * @module
 */
export {
  duplicateLabel,
  EntryError,
  type EntryParts,
  isPluginEntry,
  parseEntry,
  splitEntries,
} from "./strategy_entry.ts";
export {
  type EntryObject,
  type EntrySources,
  entryStrategy,
  type PluginResolver,
  readResultFile,
  type ResolvedEntry,
  resolveEntry,
} from "./resolve_entry.ts";
export {
  type CommandPlugins,
  commandPlugins,
  resolveStrategyList,
  type StrategyList,
} from "./strategy_list.ts";
