/**
 * What the routes need, assembled once by {@linkcode openServerContext} (cli/serve.ts and tests).
 *
 * @module
 */
import { DOWNLOAD_TEXT, evalTextBeside } from "../compare/defaults.ts";
import { builtinRegistry, type StrategyRegistry } from "../strategies/registry.ts";
import { type CatalogEntry, listModels, listTexts } from "./catalog.ts";
import { JobQueue } from "./job_queue.ts";
import { JobStore } from "./job_store.ts";
import { ensurePlugin, type PluginLoader } from "./plugins.ts";
import type { WebAssets } from "./web_assets.ts";
import { type JobRunner, WorkerRunner } from "./worker_runner.ts";

/** Everything the routes share. */
export interface ServerContext {
  registry: StrategyRegistry;
  queue: JobQueue;
  store: JobStore;
  /** Rescanned on each call, so models dropped into --model-dir appear without a restart. */
  models: () => Promise<CatalogEntry[]>;
  texts: CatalogEntry[];
  /** When set, job creation, cancellation and plugin loading need `Authorization: Bearer <token>`. */
  token?: string;
  pluginHosts: string[];
  loadPlugin?: PluginLoader;
  web?: WebAssets;
  /** Refuse non-loopback Host headers (the server is bound to loopback). */
  loopbackOnly: boolean;
  /** Origins (`--allow-origin`) whose pages may change state and read answers through CORS. */
  allowOrigins: string[];
  /** Stops the compare worker (a running job is left for the next start to restart). */
  close(): void;
}

/** The server's settings (cli/serve.ts flags). */
export interface ServerSettings {
  models: string[];
  modelDir?: string;
  texts: string[];
  dataDir: string;
  token?: string;
  pluginHosts: string[];
  loadPlugin?: PluginLoader;
  web?: WebAssets;
  loopbackOnly: boolean;
  allowOrigins?: string[];
  /** Jobs that may wait behind the running one before submissions get 429. */
  maxWaiting: number;
  /** Redis URL of queue workers that run the comparisons' forward passes (default: in-process). */
  queueUrl?: string;
  /** Default: the compare worker; tests may pass another. */
  runner?: JobRunner;
  /** The compare worker's entry module (default server/compare_worker.ts; tests wrap it with hooks). */
  compareWorker?: URL;
}

/** Opens the job store (resuming the jobs a stop or crash left unfinished) and assembles the context. */
export async function openServerContext(s: ServerSettings): Promise<ServerContext> {
  const registry = builtinRegistry();
  const store = new JobStore(s.dataDir);
  // Jobs resumed at start may name plugins by URL: they load through the context once it exists.
  let opened!: (ctx: ServerContext) => void;
  const context = new Promise<ServerContext>((resolve) => opened = resolve);
  const runner = s.runner ??
    new WorkerRunner(
      registry,
      s.queueUrl,
      async (plugin) => ensurePlugin(await context, plugin, "plugin"),
      s.compareWorker,
    );
  const queue = await JobQueue.open(store, runner, s.maxWaiting);
  const ctx: ServerContext = {
    registry,
    queue,
    store,
    models: () => listModels(s.models, s.modelDir),
    texts: listTexts(
      s.texts,
      Deno.env.get("ROPEKIT_TEXT") ?? (s.models[0] && await evalTextBeside(s.models[0])) ?? DOWNLOAD_TEXT,
    ),
    token: s.token,
    pluginHosts: s.pluginHosts,
    loadPlugin: s.loadPlugin,
    web: s.web,
    loopbackOnly: s.loopbackOnly,
    allowOrigins: s.allowOrigins ?? [],
    close: () => runner.close(),
  };
  opened(ctx);
  return ctx;
}
