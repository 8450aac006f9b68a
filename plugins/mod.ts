/**
 * Strategy plugins: ES modules that export a strategy and run in a sandbox (a
 * permission-less Deno process and worker, with a deadline and a memory limit). See
 * `docs/plugins.md`.
 *
 * @example
 * ```ts
 * import { builtinRegistry } from "../mod.ts";
 * import { registerPlugin } from "./mod.ts";
 *
 * const registry = builtinRegistry();
 * const plugin = await registerPlugin(registry, "./examples/plugins/power_law.ts", { lockFile: false });
 * console.log(plugin.name, plugin.sha256);
 * await plugin.close();
 * ```
 *
 * @module
 */
export { PluginError, type PluginErrorCode } from "./errors.ts";
export {
  DEFAULT_LIMITS,
  isPluginSpecifier,
  loadPlugin,
  openPlugin,
  type PluginOptions,
  type PluginStrategy,
  registerPlugin,
} from "./load_plugin.ts";
export { parsePluginSpecifier, type PluginLocation } from "./source.ts";
export { DEFAULT_LOCK_FILE, type LockEntry, type LockFile } from "./lock_file.ts";
export type { SandboxLimits } from "./sandbox.ts";
export { DEFAULT_POOL, DEFAULT_POOL_LIMITS, type PoolLimits, SandboxPool } from "./sandbox_pool.ts";
export { checkPlugin, type PluginCheck, type PropertyResult } from "./check_plugin.ts";
