/**
 * The HTTP API and web page as a Hono app: build a context (models, texts, data directory, limits) and
 * serve the app with any server (`Deno.serve`, or `deno task serve`, which adds the CLI's flags).
 *
 * @example
 * ```ts ignore
 * import { createApp, openServerContext } from "@ropekit/ropekit/server";
 *
 * const ctx = await openServerContext({ models: ["models/facts837K/model.bin"], dataDir: ".cache/server" });
 * Deno.serve({ port: 8787, hostname: "127.0.0.1" }, createApp(ctx).fetch);
 * ```
 *
 * @module
 */
export { createApp, SERVER_VERSION } from "./app.ts";
export { openServerContext, type ServerContext, type ServerSettings } from "./context.ts";
