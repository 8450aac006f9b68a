/**
 * The routes the web page's workbench adds to the API: one list of every run (comparisons and
 * searches) with deletion of ended ones, searches with live progress, the RoPE doctor, a plugin's
 * conformance check, and exports to download. Mounted under `/api` by app.ts; each route reuses the
 * toolkit's own function (searchStrategy through `deno task search`, ropeDoctor, checkPlugin,
 * exportModel), so the page shows what the command line prints.
 *
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { basename, join } from "node:path";
import { ropeDoctor } from "../strategies/doctor.ts";
import { ParamError } from "../strategies/params.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { type HfConfig, readHfConfig } from "../strategies/hf_config.ts";
import { ConfigError } from "../strategies/mod.ts";
import { LIMITS } from "./api_schemas.ts";
import { checkPlugin } from "../plugins/check_plugin.ts";
import { exportModel } from "../export/export_model.ts";
import { zipStore } from "../util/zip_store.ts";
import { readJson, requireToken } from "./http.ts";
import { BusyError } from "./busy_error.ts";
import { FINAL_STATUSES, JOB_ID, type JobRecord } from "./job_store.ts";
import { allowedPluginUrl } from "./plugins.ts";
import type { ServerContext } from "./context.ts";
import { SearchJobs, searchRequestSchema } from "./search_jobs.ts";
import type { RunSummary, SearchRecord, SearchRequest } from "../compare/api_records.ts";
import { ValidationError } from "./schema.ts";
import type { Schema } from "./schema.ts";

const seconds = (started?: string, finished?: string) =>
  started ? ((finished ? Date.parse(finished) : Date.now()) - Date.parse(started)) / 1000 : undefined;

function compareSummary(j: JobRecord): RunSummary {
  const r = j.request;
  return {
    id: j.id,
    kind: "compare",
    status: j.status,
    model: r.model,
    strategies: r.strategies.map((s) => s.label),
    lengths: r.lengths ?? [],
    created: j.created,
    started: j.started,
    finished: j.finished,
    seconds: seconds(j.started, j.finished),
    restarts: j.restarts ?? 0,
    ...(j.error ? { error: j.error } : {}),
  };
}

function searchSummary(s: SearchRecord): RunSummary {
  return {
    id: s.id,
    kind: "search",
    status: s.status,
    model: s.request.model,
    strategies: [s.request.strategy],
    lengths: [s.request.target],
    created: s.created,
    started: s.started,
    finished: s.finished,
    seconds: seconds(s.started, s.finished),
    restarts: s.restarts ?? 0,
    ...(s.error ? { error: s.error } : {}),
  };
}

/** The body of the route it names (also in openapi.json). */
export const doctorRequest: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    config: { type: "object", additionalProperties: true, description: "An HF config.json object." },
    model: { type: "string", maxLength: 500, description: "A served HF-folder model's id instead." },
    layer_type: { type: "string", maxLength: 64 },
  },
};

/** The body of the route it names (also in openapi.json). */
export const urlRequest: Schema = {
  type: "object",
  required: ["url"],
  additionalProperties: false,
  properties: { url: { type: "string", maxLength: 2000 } },
};

/** The body of the route it names (also in openapi.json). */
export const exportRequest: Schema = {
  type: "object",
  required: ["model", "strategy", "to"],
  additionalProperties: false,
  properties: {
    model: { type: "string", maxLength: 500 },
    strategy: { type: "string", maxLength: 64, pattern: "^[a-z][a-z0-9_-]*$" },
    params: { type: "object", additionalProperties: true, maxProperties: 32 },
    target: { type: "integer", minimum: 2, maximum: 1 << 20 },
    to: { type: "string", enum: ["hf", "gguf"] },
  },
};

/** Exports kept on disk; the oldest go when a new one starts. */
export const MAX_KEPT_EXPORTS = 8;
const EXPORT_RETRY_AFTER_S = 10;

/** Removes all but the newest `keep` export folders (by modification time). */
async function pruneExports(dir: string, keep: number): Promise<void> {
  const found: { path: string; mtime: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isDirectory || !JOB_ID.test(e.name)) continue;
      const path = join(dir, e.name);
      found.push({ path, mtime: (await Deno.stat(path)).mtime?.getTime() ?? 0 });
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  found.sort((a, b) => b.mtime - a.mtime);
  for (const old of found.slice(keep)) await Deno.remove(old.path, { recursive: true }).catch(() => {});
}

/** `name:k=v,…` with JSON values where a plain one would not parse back (arrays); never `@file`. */
function entryOf(name: string, params: Record<string, unknown> = {}): string {
  const parts = Object.entries(params).map(([k, v]) => {
    if (!/^[a-z][a-z0-9_]*$/.test(k)) throw new ValidationError(`params.${k}`, "is not a parameter name");
    if (typeof v === "string" && /[,=@#\s]/.test(v)) throw new ValidationError(`params.${k}`, "bad value");
    return `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`;
  });
  return parts.length ? `${name}:${parts.join(",")}` : name;
}

/** The search jobs of each server, opened once (opening resumes the searches a stop left unfinished). */
const searchJobs = new WeakMap<ServerContext, Promise<SearchJobs>>();

/** The server's search jobs (opened on first use). */
export function searchesOf(ctx: ServerContext): Promise<SearchJobs> {
  let jobs = searchJobs.get(ctx);
  if (!jobs) searchJobs.set(ctx, jobs = SearchJobs.open(join(ctx.store.dir, "..")));
  return jobs;
}

/** The workbench routes; creating them opens the search jobs, so unfinished searches resume at start. */
export function workbenchRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const searches = searchesOf(ctx);
  searches.catch((e) => console.error(`error: the search jobs could not be opened: ${e.message}`));
  const auth = requireToken(ctx.token);
  const exportsDir = join(ctx.store.dir, "..", "exports");
  /** An export holds a model in memory: one at a time, the next gets a BusyError (a 429 with Retry-After). */
  let exporting = false;

  app.get("/runs", async (c) => {
    const runs = [
      ...ctx.queue.list().map(compareSummary),
      ...(await searches).list().map(searchSummary),
    ];
    return c.json(runs.sort((a, b) => b.created.localeCompare(a.created)));
  });

  app.delete("/runs/:id", auth, async (c) => {
    const id = c.req.param("id");
    const search = await (await searches).remove(id);
    if (search === false) return c.json({ error: "the search is still running: cancel it first" }, 409);
    if (search) return c.json({ deleted: id });
    const job = JOB_ID.test(id) ? ctx.queue.get(id) : undefined;
    if (!job) return c.json({ error: `no run ${JSON.stringify(id)}` }, 404);
    if (!FINAL_STATUSES.includes(job.status)) {
      return c.json({ error: "the comparison is still running: cancel it first" }, 409);
    }
    // Forgotten first: no route shows a job whose files are half gone.
    ctx.queue.forget(id);
    for (const f of [`${id}.json`, `${id}.report.json`]) {
      await Deno.remove(join(ctx.store.dir, f)).catch(() => {});
    }
    return c.json({ deleted: id });
  });

  // ---- searches ------------------------------------------------------------------------------------
  app.post("/searches", auth, async (c) => {
    const body = await readJson<SearchRequest>(c, searchRequestSchema);
    // The search runs in its own process, which knows the built-ins (a plugin would need its URL there).
    const builtin = BUILTIN_STRATEGIES.find((s) => s.name === body.strategy);
    if (!builtin) {
      throw new ValidationError("strategy", `no built-in strategy ${JSON.stringify(body.strategy)}`);
    }
    // LongRoPE and LongRoPE2 search their factors; any other strategy its declared parameters.
    if (!body.strategy.startsWith("longrope") && Object.keys(builtin.params).length === 0) {
      throw new ValidationError(
        "strategy",
        `${body.strategy} declares no parameters: there is nothing to search`,
      );
    }
    // SearchesFullError: a 429 with Retry-After (server/http.ts).
    const rec = await (await searches).submit(body, await ctx.models(), ctx.texts);
    c.header("Location", `/api/searches/${rec.id}`);
    return c.json(rec, 202);
  });
  app.get("/searches", async (c) => c.json((await searches).list()));
  app.get("/searches/:id", async (c) => {
    const rec = (await searches).get(c.req.param("id"));
    return rec ? c.json(rec) : c.json({ error: "no such search" }, 404);
  });
  app.delete("/searches/:id", auth, async (c) => {
    const rec = await (await searches).cancel(c.req.param("id"));
    return rec ? c.json(rec) : c.json({ error: "no such search" }, 404);
  });
  app.get("/searches/:id/events", async (c) => {
    const jobs = await searches;
    const id = c.req.param("id");
    if (!jobs.get(id)) return c.json({ error: "no such search" }, 404);
    return streamSSE(c, async (stream) => {
      let wake = () => {};
      const unsubscribe = jobs.subscribe(() => wake());
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake();
      });
      let last = "";
      try {
        while (!closed) {
          const rec = jobs.get(id);
          if (!rec) break;
          const data = JSON.stringify(rec);
          if (data !== last) {
            await stream.writeSSE({ event: "status", data, ...(last === "" ? { retry: 1000 } : {}) });
            last = data;
          }
          if (["done", "failed", "cancelled"].includes(rec.status) || closed) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 15_000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        unsubscribe();
      }
    });
  });

  // ---- doctor --------------------------------------------------------------------------------------
  app.post("/doctor", async (c) => {
    const body = await readJson<{ config?: HfConfig; model?: string; layer_type?: string }>(c, doctorRequest);
    let config = body.config;
    if (config === undefined) {
      if (body.model === undefined) {
        throw new ValidationError("config", "send a config or a served model's id");
      }
      const model = (await ctx.models()).find((m) => m.id === body.model);
      if (!model) throw new ValidationError("model", `no model ${JSON.stringify(body.model)}`);
      if (model.format !== "hf-folder") {
        throw new ValidationError(
          "model",
          `${model.id} is a ${model.format} file: the doctor reads an HF config.json`,
        );
      }
      config = JSON.parse(await Deno.readTextFile(join(model.source, "config.json")));
    }
    const { seq_len: _s, layer_type: _l, ...hf } = config as HfConfig;
    const layerType = body.layer_type ?? (config!.layer_type as string | undefined);
    // The doctor's columns are O(rotary_dim) each: the same bound as POST /api/rope, before any is built.
    const { spec } = readHfConfig(hf, undefined, layerType);
    if (spec.rotaryDim > LIMITS.rotaryDim) {
      throw new ConfigError(
        `config: rotary dimension ${spec.rotaryDim} exceeds the server's ${LIMITS.rotaryDim}`,
      );
    }
    const report = await ropeDoctor(hf, layerType);
    return c.json(report);
  });

  // ---- plugins -------------------------------------------------------------------------------------
  app.post("/plugins/check", auth, async (c) => {
    const { url } = await readJson<{ url: string }>(c, urlRequest);
    const allowed = allowedPluginUrl(url, ctx.pluginHosts, "url");
    return c.json(await checkPlugin(allowed.href));
  });

  // ---- exports -------------------------------------------------------------------------------------
  app.post("/exports", auth, async (c) => {
    const body = await readJson<
      {
        model: string;
        strategy: string;
        params?: Record<string, unknown>;
        target?: number;
        to: "hf" | "gguf";
      }
    >(c, exportRequest);
    const model = (await ctx.models()).find((m) => m.id === body.model);
    if (!model) throw new ValidationError("model", `no model ${JSON.stringify(body.model)}`);
    if (!ctx.registry.has(body.strategy)) {
      const known = ctx.registry.list().map((s) => s.name).join(", ");
      throw new ValidationError("strategy", `no strategy ${JSON.stringify(body.strategy)} (known: ${known})`);
    }
    const strategy = entryOf(body.strategy, body.params);
    if (exporting) {
      throw new BusyError(
        `an export is running; retry in about ${EXPORT_RETRY_AFTER_S} s`,
        EXPORT_RETRY_AFTER_S,
      );
    }
    exporting = true;
    try {
      await pruneExports(exportsDir, MAX_KEPT_EXPORTS - 1);
      return await runExport(body, model.source, strategy);
    } finally {
      exporting = false;
    }
  });
  const runExport = async (
    body: { target?: number; to: "hf" | "gguf" },
    source: string,
    strategy: string,
  ) => {
    const id = crypto.randomUUID();
    const dir = join(exportsDir, id);
    await Deno.mkdir(dir, { recursive: true });
    const file = body.to === "gguf" ? "model.gguf" : "model.zip";
    const out = body.to === "gguf" ? join(dir, file) : join(dir, "hf");
    let result;
    try {
      result = await exportModel({
        model: source,
        strategy,
        targetLength: body.target,
        to: body.to,
        out,
        registry: ctx.registry,
      });
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      // A parameter the strategy refuses: named as the request's field, not only in the prose.
      if (e instanceof ParamError && e.field === undefined) {
        const name = /parameter "([a-z][a-z0-9_]*)"/.exec(e.message)?.[1];
        throw new ValidationError(name ? `params.${name}` : "params", e.message);
      }
      throw e;
    }
    if (body.to === "hf") {
      const files = [];
      for await (const e of Deno.readDir(out)) {
        if (e.isFile) files.push({ name: e.name, path: join(out, e.name) });
      }
      files.sort((a, b) => a.name.localeCompare(b.name));
      try {
        await zipStore(join(dir, file), files);
      } catch (e) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw e; // ZipTooLargeError: a 413 naming "to" (server/http.ts)
      }
      await Deno.remove(out, { recursive: true });
    }
    // Where the files sit on the server stays there: the client gets names and its download link.
    const { out: _out, files, ...rest } = result;
    return Response.json({
      id,
      ...rest,
      files: files.map((f) => basename(f)),
      download: `/api/exports/${id}/${file}`,
    }, { status: 201 });
  };
  app.get("/exports/:id/:file{model\\.(gguf|zip)}", async (c) => {
    const id = c.req.param("id"), file = c.req.param("file");
    if (!JOB_ID.test(id)) return c.json({ error: "no such export" }, 404);
    let handle;
    try {
      handle = await Deno.open(join(exportsDir, id, file));
    } catch {
      return c.json({ error: "no such export" }, 404);
    }
    // Streamed from the file: a model-sized download never sits in the server's memory whole.
    const { size } = await handle.stat();
    c.header("Content-Type", file.endsWith(".zip") ? "application/zip" : "application/octet-stream");
    c.header("Content-Disposition", `attachment; filename="${file}"`);
    c.header("Content-Length", String(size));
    return c.body(handle.readable);
  });

  return app;
}
