/**
 * The server for a program that embeds ropekit: one call builds the job store, the queue, the plugin
 * host and the Hono app, and hands back only what a host program needs — a `fetch` handler for any
 * HTTP server and a `close` — so the internals (JobStore, JobQueue, the context) stay private.
 *
 * @module
 */
import { join } from "node:path";
import { loadPlugin } from "../plugins/load_plugin.ts";
import { createApp } from "./app.ts";
import { openServerContext } from "./context.ts";
import { buildWebAssets } from "./web_assets.ts";
import { ValidationError } from "./schema.ts";

/** What {@linkcode createServer} serves, and how it guards it. */
export interface CreateServerOptions {
  /** Model files (llama2.c `.bin`, GGUF, or HF directories) offered for comparisons; default none. */
  models?: string[];
  /** A directory rescanned on each listing, so models dropped into it appear without a restart. */
  modelDir?: string;
  /** Evaluation texts (paths) offered besides the first model's own; default that one alone. */
  texts?: string[];
  /** Where jobs, reports and the plugin lock file are kept across restarts (created if missing). */
  dataDir: string;
  /**
   * When set (8 characters or more), creating and cancelling jobs and loading plugins need
   * `Authorization: Bearer <token>`; reading does not.
   */
  token?: string;
  /** Hosts whose https plugin URLs may be loaded (sandboxed, pinned in the lock file); default none. */
  pluginHosts?: string[];
  /**
   * Refuse requests whose Host header is not a loopback name (DNS rebinding); keep the default,
   * true, whenever the server listens on loopback only.
   */
  loopbackOnly?: boolean;
  /** Origins (scheme://host[:port]) whose pages may change state and read answers through CORS. */
  allowOrigins?: string[];
  /** Jobs that may wait behind the running one before submissions are answered 429; default 8. */
  maxWaiting?: number;
  /** Redis URL of queue workers that run the comparisons' forward passes; default in-process. */
  queueUrl?: string;
  /** Build and serve the web page at `/` (bundles web/ once: seconds); default false, `/` answers 503. */
  web?: boolean;
}

/** A built server: hand `fetch` to any HTTP server, and `close` it when that server stops. */
export interface RopekitServer {
  /** Answers one request: the API under `/api/` and, when built, the web page at `/`. */
  fetch(request: Request): Promise<Response>;
  /**
   * Stops the compare worker. A running job is put back in the queue and runs again at the next
   * start with the same `dataDir`.
   */
  close(): Promise<void>;
}

/**
 * Builds ropekit's HTTP server (the one `deno task serve` runs) for a program that embeds it,
 * resuming the jobs a previous run in `dataDir` left unfinished.
 *
 * @example Serve the API on a free loopback port
 * ```ts
 * import { createServer } from "./create_server.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const ropekit = await createServer({ dataDir });
 * const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, ropekit.fetch);
 * const health = await fetch(`http://127.0.0.1:${http.addr.port}/api/health`);
 * console.log((await health.json()).status); // "ok"
 * await http.shutdown();
 * await ropekit.close();
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function createServer(options: CreateServerOptions): Promise<RopekitServer> {
  if (options.token !== undefined && options.token.length < 8) {
    throw new ValidationError("token", "must have at least 8 characters");
  }
  const web = options.web ? await buildWebAssets(() => {}) : undefined;
  const ctx = await openServerContext({
    models: options.models ?? [],
    modelDir: options.modelDir,
    texts: options.texts ?? [],
    dataDir: options.dataDir,
    token: options.token,
    pluginHosts: options.pluginHosts ?? [],
    loadPlugin: (url) => loadPlugin(url, { lockFile: join(options.dataDir, "plugins.lock.json") }),
    web,
    loopbackOnly: options.loopbackOnly ?? true,
    allowOrigins: options.allowOrigins,
    maxWaiting: options.maxWaiting ?? 8,
    queueUrl: options.queueUrl,
  });
  const app = createApp(ctx);
  return {
    fetch: async (request) => await app.fetch(request),
    async close() {
      await ctx.queue.stop();
      ctx.close();
    },
  };
}
