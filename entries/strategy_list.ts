/**
 * Turning a `--strategies` list (or one `--strategy`) into ready entries: built-in entries resolve
 * against the registry; plugin entries (URLs and paths, `URL#k=v`) load sandboxed plugins first
 * (see `plugins/`). Callers must `close()` the result, or the plugin sandboxes keep the process
 * alive.
 *
 * @module
 */
import type { ConfiguredRope } from "../strategies/config_rope.ts";
import { duplicateLabel, EntryError, splitEntries } from "./strategy_entry.ts";
import { type PluginResolver, type ResolvedEntry, resolveEntry } from "./resolve_entry.ts";
import type { StrategyRegistry } from "../strategies/registry.ts";
import { type PluginStrategy, registerPlugin } from "../plugins/mod.ts";

/** Entries plus the plugin sandboxes they hold open. */
export interface StrategyList {
  /** Each entry resolved, in the order given. */
  entries: ResolvedEntry[];
  /** Stops the plugin sandboxes the entries hold open. */
  close(): Promise<void>;
}

/** A plugin resolver for a command: each specifier is loaded once and registered in `registry`. */
export interface CommandPlugins {
  /** Loads a plugin specifier (once) and registers it. */
  resolve: PluginResolver;
  /** Stops every sandbox the resolver started. */
  close(): Promise<void>;
}

/** Loads plugins into `registry` on first use (a failure is a one-line `PluginError`). */
export function commandPlugins(registry: StrategyRegistry): CommandPlugins {
  const loaded = new Map<string, Promise<PluginStrategy>>();
  return {
    resolve(specifier) {
      let plugin = loaded.get(specifier);
      if (!plugin) {
        plugin = registerPlugin(registry, specifier);
        loaded.set(specifier, plugin);
      }
      return plugin;
    },
    async close() {
      await Promise.all([...loaded.values()].map((p) => p.then((s) => s.close(), () => {})));
    },
  };
}

/** Resolves every entry of `list` (`config`: the model's `configRope`), refusing two entries with one label. */
export async function resolveStrategyList(
  list: string,
  registry: StrategyRegistry,
  configRope?: ConfiguredRope,
): Promise<StrategyList> {
  const plugins = commandPlugins(registry);
  try {
    const entries: ResolvedEntry[] = [];
    const written = splitEntries(list);
    // The same refusal as the server's, before any plugin loads.
    const twice = duplicateLabel(written.map((e) => e.trim()));
    if (twice !== undefined) {
      throw new EntryError(
        `--strategies: two entries have the same label (${JSON.stringify(twice)}); each row needs its own`,
      );
    }
    for (const entry of written) {
      entries.push(await resolveEntry(entry, { registry, plugins: plugins.resolve, configRope }));
    }
    return { entries, close: plugins.close };
  } catch (e) {
    await plugins.close();
    throw e;
  }
}
