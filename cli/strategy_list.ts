/**
 * Turning a `--strategies` list (or one `--strategy`) into ready entries: built-in entries resolve
 * against the registry; plugin entries (URLs and paths, `URL#k=v`) load sandboxed plugins first
 * (see `plugins/`). Callers must `close()` the result, or the plugin sandboxes keep the process
 * alive.
 *
 * @module
 */
import type { ConfiguredRope } from "../strategies/config_rope.ts";
import {
  duplicateLabel,
  type PluginResolver,
  type ResolvedEntry,
  resolveEntry,
  splitEntries,
} from "../compare/strategy_entry.ts";
import type { StrategyRegistry } from "../strategies/registry.ts";
import { PluginError, type PluginStrategy, registerPlugin } from "../plugins/mod.ts";
import { CliError } from "./cli_error.ts";

/** Entries plus the plugin sandboxes they hold open. */
export interface StrategyList {
  entries: ResolvedEntry[];
  close(): Promise<void>;
}

/** A plugin resolver for a command: each specifier is loaded once and registered in `registry`. */
export interface CommandPlugins {
  resolve: PluginResolver;
  /** Stops every sandbox the resolver started. */
  close(): Promise<void>;
}

/** Loads plugins into `registry` on first use; plugin errors become one-line {@linkcode CliError}s. */
export function commandPlugins(registry: StrategyRegistry): CommandPlugins {
  const loaded = new Map<string, Promise<PluginStrategy>>();
  return {
    resolve(specifier) {
      let plugin = loaded.get(specifier);
      if (!plugin) {
        plugin = registerPlugin(registry, specifier).catch((e) => {
          throw e instanceof PluginError ? new CliError(e.message) : e;
        });
        loaded.set(specifier, plugin);
      }
      return plugin;
    },
    async close() {
      await Promise.all([...loaded.values()].map((p) => p.then((s) => s.close(), () => {})));
    },
  };
}

/** Resolves every entry of `list` (`config`: the model's `configRope`); plugin errors become one-line {@linkcode CliError}s. */
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
      throw new CliError(
        `--strategies: two entries have the same label (${JSON.stringify(twice)}); each row needs its own`,
      );
    }
    for (const entry of written) {
      entries.push(await resolveEntry(entry, registry, plugins.resolve, configRope));
    }
    return { entries, close: plugins.close };
  } catch (e) {
    await plugins.close();
    throw e;
  }
}
