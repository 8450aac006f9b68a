/**
 * ropekit's HTTP API and web page, for a program that embeds them: {@linkcode createServer} builds
 * the server (job store, queue, plugin host) and returns a `fetch` handler for any HTTP server
 * (`Deno.serve`; `deno task serve` adds the CLI's flags on top) and a `close`.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "@ropekit/ropekit/server";
 *
 * const ropekit = await createServer({ models: ["models/facts837K/model.bin"], dataDir: ".cache/server" });
 * Deno.serve({ port: 8787, hostname: "127.0.0.1" }, ropekit.fetch);
 * ```
 *
 * @module
 */
export { SERVER_VERSION } from "./app.ts";
export { createServer, type CreateServerOptions, type RopekitServer } from "./create_server.ts";
