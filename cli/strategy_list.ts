/**
 * Turning a `--strategies` list (or one `--strategy`) into ready entries: built-in entries resolve
 * against the registry; URLs and paths load sandboxed plugins first (see `plugins/`). Callers must
 * `close()` the result, or the plugin sandboxes keep the process alive.
 *
 * @module
 */
import { parseEntry, type ResolvedEntry, resolveEntry, splitEntries } from "../compare/strategy_entry.ts";
import type { StrategyRegistry } from "../strategies/registry.ts";
import { isPluginSpecifier, PluginError, type PluginStrategy, registerPlugin } from "../plugins/mod.ts";
import { CliError } from "./args.ts";

/** Entries plus the plugin sandboxes they hold open. */
export interface StrategyList {
  entries: ResolvedEntry[];
  close(): Promise<void>;
}

function isBuiltinEntry(entry: string): boolean {
  try {
    parseEntry(entry);
    return true;
  } catch {
    return false;
  }
}

/** Resolves every entry of `list`; plugin errors become one-line {@linkcode CliError}s. */
export async function resolveStrategyList(list: string, registry: StrategyRegistry): Promise<StrategyList> {
  const plugins: PluginStrategy[] = [];
  const close = async () => {
    await Promise.all(plugins.map((p) => p.close()));
  };
  try {
    const entries: ResolvedEntry[] = [];
    for (const entry of splitEntries(list)) {
      if (!isBuiltinEntry(entry) && isPluginSpecifier(entry)) {
        const plugin = await registerPlugin(registry, entry);
        plugins.push(plugin);
        entries.push({ ...(await resolveEntry(plugin.name, registry)), label: entry });
      } else {
        entries.push(await resolveEntry(entry, registry));
      }
    }
    return { entries, close };
  } catch (e) {
    await close();
    if (e instanceof PluginError) throw new CliError(e.message);
    throw e;
  }
}
