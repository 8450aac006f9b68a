/**
 * Plugin strategies over HTTP: only URLs on hosts the operator allowed (`--allow-plugin-host`) are
 * handed to the loader, which runs the plugin sandboxed (plugins/sandbox.ts).
 *
 * cli/serve.ts passes plugins/'s `loadPlugin` (lock file in the data dir); tests pass fakes.
 *
 * @module
 */
import type { Strategy } from "../strategies/types.ts";
import { ValidationError } from "./schema.ts";

/** Fetches, verifies and sandboxes a plugin; resolves to a Strategy whose calls run in the sandbox. */
export type PluginLoader = (url: string) => Promise<Strategy & { close?: () => Promise<void> }>;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The URL, when its host is allowed: https anywhere on the list, http only to loopback (tests). */
export function allowedPluginUrl(raw: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError("url", `not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    throw new ValidationError("url", "must be https (http only for loopback hosts)");
  }
  if (url.username || url.password) throw new ValidationError("url", "must not carry credentials");
  if (!allowedHosts.includes(url.hostname) && !allowedHosts.includes(url.host)) {
    throw new ValidationError(
      "url",
      allowedHosts.length
        ? `host ${url.host} is not on the plugin allowlist (${allowedHosts.join(", ")})`
        : "plugins are disabled: start the server with --allow-plugin-host HOST",
    );
  }
  return url;
}
