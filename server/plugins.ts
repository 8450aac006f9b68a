/**
 * Plugin strategies over HTTP: only URLs on hosts the operator allowed (`--allow-plugin-host`) are
 * handed to the loader, which runs the plugin sandboxed (plugins/sandbox.ts). A plugin is loaded
 * once per server — by `POST /api/plugins`, or on demand when `/api/compare` or `/api/rope` names
 * its URL — then registered under its declared name.
 *
 * cli/serve.ts passes plugins/'s `loadPlugin` (lock file in the data dir); tests pass fakes.
 *
 * @module
 */
import { parseEntry } from "../entries/mod.ts";
import type { Strategy } from "../strategies/types.ts";
import type { PluginStrategy } from "../plugins/load_plugin.ts";
import { StrategyRegistry } from "../strategies/registry.ts";
import { ValidationError } from "./schema.ts";
import { isLoopbackHost } from "../util/loopback.ts";
import { RopekitError } from "../util/errors.ts";

/** Fetches, verifies and sandboxes a plugin; resolves to a Strategy whose calls run in the sandbox. */
export type PluginLoader = (url: string) => Promise<Strategy & { close?: () => Promise<void> }>;

/** What on-demand loading needs from the server context. */
export interface PluginHost {
  registry: { register(strategy: Strategy): void };
  pluginHosts: string[];
  loadPlugin?: PluginLoader;
}

/** The URL, when its host is allowed: https anywhere on the list, http only to loopback (tests). */
export function allowedPluginUrl(raw: string, allowedHosts: readonly string[], field = "url"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(field, `not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new ValidationError(field, "must be https (http only for loopback hosts)");
  }
  if (url.username || url.password) throw new ValidationError(field, "must not carry credentials");
  if (!allowedHosts.includes(url.hostname) && !allowedHosts.includes(url.host)) {
    throw new ValidationError(
      field,
      allowedHosts.length
        ? `host ${url.host} is not on the plugin allowlist (${allowedHosts.join(", ")})`
        : "plugins are disabled: start the server with --allow-plugin-host HOST",
    );
  }
  return url;
}

/** Thrown when the server has no loader: the route answers 501. */
export class NoPluginLoaderError extends RopekitError {
  override name = "NoPluginLoaderError";
  constructor() {
    super("this server has no plugin loader");
  }
}

/** Loaded (or loading) plugins per server, by URL without its fragment (pin). */
const loadedPlugins = new WeakMap<PluginHost, Map<string, Promise<Strategy>>>();

/**
 * The plugin at `specifier` (a URL, optionally `#sha256=` pinned), loaded and registered on first
 * use and shared afterwards. A refused host is a {@linkcode ValidationError} on `field`; a failed
 * load is not remembered, so a fixed plugin can be retried.
 */
export function ensurePlugin(host: PluginHost, specifier: string, field = "url"): Promise<Strategy> {
  const allowed = allowedPluginUrl(specifier, host.pluginHosts, field);
  if (!host.loadPlugin) throw new NoPluginLoaderError();
  let plugins = loadedPlugins.get(host);
  if (!plugins) loadedPlugins.set(host, plugins = new Map());
  // One load per module: keyed without the fragment, so `URL#sha256=…` (POST /api/plugins) and a later
  // `URL#k=v` entry share the plugin; a pin named later is checked against what was loaded.
  const key = allowed.href.replace(/#.*$/, "");
  const pin = /^#sha256=([0-9a-f]{64})$/i.exec(allowed.hash)?.[1]?.toLowerCase();
  const known = plugins.get(key);
  if (known) {
    if (pin === undefined) return known;
    return known.then((strategy) => {
      const loaded = (strategy as { sha256?: string }).sha256;
      if (loaded !== undefined && loaded !== pin) {
        throw new ValidationError(field, `sha256 is ${loaded} for the loaded ${key}, the URL pins ${pin}`);
      }
      return strategy;
    });
  }
  const loading = host.loadPlugin(allowed.href).then((strategy) => {
    try {
      host.registry.register(strategy);
    } catch (e) {
      // Its sandbox process would otherwise outlive the refusal.
      return (strategy.close?.() ?? Promise.resolve()).then(() => Promise.reject(e));
    }
    return strategy;
  });
  plugins.set(key, loading);
  loading.catch(() => plugins.delete(key));
  return loading;
}

/**
 * Loads the plugins that string entries of a compare request name by URL; returns them by the
 * specifier `parseEntry` gives, for `resolveCompareBody`. Entries that do not parse are left for
 * it to report.
 */
export async function entryPlugins(
  host: PluginHost,
  entries: readonly unknown[],
  field: string,
): Promise<Map<string, Strategy>> {
  const found = new Map<string, Strategy>();
  for (const [i, entry] of entries.entries()) {
    if (typeof entry !== "string") continue;
    let plugin: string | undefined;
    try {
      plugin = parseEntry(entry).plugin;
    } catch {
      continue;
    }
    if (plugin !== undefined && !found.has(plugin)) {
      found.set(plugin, await ensurePlugin(host, plugin, `${field}[${i}]`));
    }
  }
  return found;
}

/**
 * A view of `registry` for one request: plugin strategies' calls carry `signal()` (read only when a
 * plugin is called: Deno warns about reading a request's signal at all), so a client that
 * goes away stops its plugin call instead of leaving it to run to the deadline. `add` puts a
 * plugin loaded during the request into the view as well.
 */
export function withCallSignal(
  registry: StrategyRegistry,
  signal: () => AbortSignal,
): { view: StrategyRegistry; add: (strategy: Strategy) => void } {
  const view = new StrategyRegistry();
  const add = (s: Strategy) => {
    if (view.has(s.name)) return;
    const table = s.table as PluginStrategy["table"] | undefined;
    // Only a plugin (it carries its sha256) runs in a sandbox that a signal can stop.
    const signalled = table && "sha256" in s
      ? { ...s, table: (...args: Parameters<Strategy["table"]>) => table(...args, signal()) }
      : s;
    view.register(signalled as Strategy);
  };
  for (const s of registry.list()) add(s);
  return { view, add };
}
