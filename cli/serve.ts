/**
 * `deno task serve`: the HTTP API and web page (server/).
 *
 * @module
 */
import { join } from "node:path";
import { loadPlugin } from "../plugins/mod.ts";
import { DEFAULT_MODEL } from "../compare/defaults.ts";
import { CliError, parseFlags, runCommand } from "./args.ts";
import { createApp } from "../server/app.ts";
import { openServerContext } from "../server/context.ts";
import { buildWebAssets } from "../server/web_assets.ts";
import { probe } from "../queue/connection.ts";
import { defaultLimits, serveWithBudget } from "../server/connection_budget.ts";
import { isLoopbackHost } from "../util/loopback.ts";

const USAGE = `Usage: deno task serve [options]

  --port N                  port (default 8787; 0 picks a free one)
  --host H                  address to bind (default 127.0.0.1; anything else exposes the server)
  --model PATH              a model clients may compare (repeatable): .bin, .gguf, HF folder, hf:owner/repo/file
                            (default, without --model-dir: ropekit's default model in models/)
  --model-dir DIR           also offer every model under DIR (ids are paths inside DIR)
  --text PATH               an evaluation text (repeatable; default $ROPEKIT_TEXT, else the first model's
                            eval.txt, else TinyStories validation)
  --data-dir DIR            where jobs and reports are kept (default .cache/server)
  --token T                 require "Authorization: Bearer T" to create or cancel jobs (default $ROPEKIT_TOKEN)
  --allow-plugin-host H     accept plugin URLs from host H (repeatable; default: no plugins)
  --allow-origin ORIGIN     let pages of ORIGIN (e.g. http://localhost:5173) create and cancel jobs, with CORS
                            (repeatable; default: only the server's own page and clients without an Origin)
  --max-queue N             jobs that may wait behind the running one before 429 (default 8)
  --max-connections N       connections held at once; idle ones are closed first, beyond it 503
                            (default: from the open-file limit, a third of it less 64, 8 to 1024)
  --queue URL               run the comparisons' forward passes on queue workers (deno task worker) on
                            this Redis: redis://[:password@]host:port[/db] (see docs/queue.md)
  -h, --help                this text`;

/** `--allow-origin` values, checked to be exactly what browsers send as `Origin` (scheme://host[:port]). */
function origins(raw: string[]): string[] {
  return raw.map((o) => {
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch { /* reported below */ }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== o) {
      throw new CliError(
        `--allow-origin must be an origin like http://localhost:5173 (scheme://host[:port], no path), got ${
          JSON.stringify(o)
        }`,
      );
    }
    return o;
  });
}

function intFlag(flag: string, raw: unknown, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isInteger(n) || n < min || n > 65535) {
    throw new CliError(`${flag} must be an integer in [${min}, 65535], got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** What a test entry module may inject (tests/server/_crash_serve.ts); the shipped server injects nothing. */
export interface ServeHooks {
  /** The compare worker's entry module. */
  compareWorker?: URL;
}

/** `deno task serve ARGS`: runs until SIGINT or SIGTERM. */
export async function serve(argv: string[], hooks: ServeHooks = {}): Promise<void> {
  const v = parseFlags(argv, {
    port: { type: "string" },
    host: { type: "string" },
    model: { type: "string", multiple: true },
    "model-dir": { type: "string" },
    text: { type: "string", multiple: true },
    "data-dir": { type: "string" },
    token: { type: "string" },
    "allow-plugin-host": { type: "string", multiple: true },
    "allow-origin": { type: "string", multiple: true },
    "max-queue": { type: "string" },
    "max-connections": { type: "string" },
    queue: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const host = (v.host as string | undefined) ?? "127.0.0.1";
  const port = intFlag("--port", v.port, 8787, 0);
  const token = (v.token as string | undefined) ?? Deno.env.get("ROPEKIT_TOKEN");
  if (token !== undefined && token.length < 8) throw new CliError("--token must have at least 8 characters");
  const allowOrigins = origins((v["allow-origin"] as string[] | undefined) ?? []);
  const models = (v.model as string[] | undefined) ?? [];
  const modelDir = v["model-dir"] as string | undefined;
  if (models.length === 0 && modelDir === undefined) {
    try {
      await Deno.stat(DEFAULT_MODEL);
      models.push(DEFAULT_MODEL);
      console.error(`no --model or --model-dir: serving ropekit's default model ${DEFAULT_MODEL}`);
    } catch {
      console.error("warning: no --model or --model-dir: comparisons are unavailable, /api/rope still works");
    }
  }
  const queueUrl = v.queue as string | undefined;
  if (queueUrl !== undefined) await probe(queueUrl).catch((e) => Promise.reject(new CliError(e.message)));
  const dataDir = (v["data-dir"] as string | undefined) ?? ".cache/server";
  const web = await buildWebAssets((line) => console.error(line));
  const ctx = await openServerContext({
    models,
    modelDir,
    texts: (v.text as string[] | undefined) ?? [],
    dataDir,
    token,
    pluginHosts: (v["allow-plugin-host"] as string[] | undefined) ?? [],
    loadPlugin: (url) => loadPlugin(url, { lockFile: join(dataDir, "plugins.lock.json") }),
    web,
    loopbackOnly: isLoopbackHost(host),
    allowOrigins,
    maxWaiting: intFlag("--max-queue", v["max-queue"], 8, 1),
    queueUrl,
    compareWorker: hooks.compareWorker,
  });
  const limits = await defaultLimits();
  limits.maxConnections = intFlag("--max-connections", v["max-connections"], limits.maxConnections, 1);
  const app = createApp(ctx);
  let stopping = false;
  const stop = async () => {
    if (stopping) Deno.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    const requeued = await ctx.queue.stop();
    console.error(
      requeued
        ? `stopping: job ${requeued} was put back in the queue; it runs again at the next start`
        : "stopping",
    );
    ctx.close();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch { /* SIGTERM does not exist on Windows */ }
  }
  const server = serveWithBudget({ hostname: host, port, limits }, app.fetch);
  const { hostname } = server.addr;
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  console.log(
    `ropekit server: open http://${shown}:${server.addr.port}/ (API: http://${shown}:${server.addr.port}/api/openapi.json)`,
  );
  if (!isLoopbackHost(host)) console.error(`warning: bound to ${host}: reachable from other machines`);
}

if (import.meta.main) await runCommand(() => serve(Deno.args));
