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
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import type { HfConfig } from "../strategies/hf_config.ts";
import { checkPlugin } from "../plugins/check_plugin.ts";
import { exportModel } from "../export/export_model.ts";
import { zipStore } from "../util/zip_store.ts";
import { readJson, requireToken } from "./http.ts";
import { FINAL_STATUSES, JOB_ID, type JobRecord } from "./job_store.ts";
import { allowedPluginUrl } from "./plugins.ts";
import type { ServerContext } from "./context.ts";
import { SearchJobs, type SearchRecord, type SearchRequest, searchRequestSchema } from "./search_jobs.ts";
import { ValidationError } from "./schema.ts";
import type { Schema } from "./schema.ts";

/** One row of the runs list, whatever the kind of job. */
export interface RunSummary {
  id: string;
  kind: "compare" | "search";
  status: string;
  model: string;
  /** Labels as the user set them (compare), or the searched strategy. */
  strategies: string[];
  lengths: number[];
  created: string;
  started?: string;
  finished?: string;
  /** Seconds from start to end (or to now while running). */
  seconds?: number;
  restarts: number;
  error?: string;
}

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

const doctorRequest: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    config: { type: "object", additionalProperties: true, description: "An HF config.json object." },
    model: { type: "string", maxLength: 500, description: "A served HF-folder model's id instead." },
    layer_type: { type: "string", maxLength: 64 },
  },
};

const urlRequest: Schema = {
  type: "object",
  required: ["url"],
  additionalProperties: false,
  properties: { url: { type: "string", maxLength: 2000 } },
};

const exportRequest: Schema = {
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
  /** Ids deleted since this start (their files are gone; the job queue keeps its memory until restart). */
  const deleted = new Set<string>();

  app.get("/runs", async (c) => {
    const runs = [
      ...ctx.queue.list().filter((j) => !deleted.has(j.id)).map(compareSummary),
      ...(await searches).list().map(searchSummary),
    ];
    return c.json(runs.sort((a, b) => b.created.localeCompare(a.created)));
  });

  app.delete("/runs/:id", auth, async (c) => {
    const id = c.req.param("id");
    const search = await (await searches).remove(id);
    if (search === false) return c.json({ error: "the search is still running: cancel it first" }, 409);
    if (search) return c.json({ deleted: id });
    const job = JOB_ID.test(id) && !deleted.has(id) ? ctx.queue.get(id) : undefined;
    if (!job) return c.json({ error: `no run ${JSON.stringify(id)}` }, 404);
    if (!FINAL_STATUSES.includes(job.status)) {
      return c.json({ error: "the comparison is still running: cancel it first" }, 409);
    }
    for (const f of [`${id}.json`, `${id}.report.json`]) {
      await Deno.remove(join(ctx.store.dir, f)).catch(() => {});
    }
    deleted.add(id);
    return c.json({ deleted: id });
  });

  // ---- searches ------------------------------------------------------------------------------------
  app.post("/searches", auth, async (c) => {
    const body = await readJson<SearchRequest>(c, searchRequestSchema);
    // The search runs in its own process, which knows the built-ins (a plugin would need its URL there).
    if (!BUILTIN_STRATEGIES.some((s) => s.name === body.strategy)) {
      throw new ValidationError("strategy", `no built-in strategy ${JSON.stringify(body.strategy)}`);
    }
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
          if (["done", "failed", "cancelled"].includes(rec.status)) break;
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
    const report = await ropeDoctor(hf, body.layer_type ?? (config!.layer_type as string | undefined));
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
    const id = crypto.randomUUID();
    const dir = join(exportsDir, id);
    await Deno.mkdir(dir, { recursive: true });
    const file = body.to === "gguf" ? "model.gguf" : "model.zip";
    const out = body.to === "gguf" ? join(dir, file) : join(dir, "hf");
    let result;
    try {
      result = await exportModel({
        model: model.source,
        strategy: entryOf(body.strategy, body.params),
        targetLength: body.target,
        to: body.to,
        out,
        registry: ctx.registry,
      });
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
    if (body.to === "hf") {
      const files = [];
      for await (const e of Deno.readDir(out)) {
        if (e.isFile) files.push({ name: `${e.name}`, data: await Deno.readFile(join(out, e.name)) });
      }
      files.sort((a, b) => a.name.localeCompare(b.name));
      await Deno.writeFile(join(dir, file), zipStore(files));
      await Deno.remove(out, { recursive: true });
    }
    // Where the files sit on the server stays there: the client gets names and its download link.
    const { out: _out, files, ...rest } = result;
    return c.json({
      id,
      ...rest,
      files: files.map((f) => basename(f)),
      download: `/api/exports/${id}/${file}`,
    }, 201);
  });
  app.get("/exports/:id/:file{model\\.(gguf|zip)}", async (c) => {
    const id = c.req.param("id"), file = c.req.param("file");
    if (!JOB_ID.test(id)) return c.json({ error: "no such export" }, 404);
    try {
      const data = await Deno.readFile(join(exportsDir, id, file));
      c.header("Content-Type", file.endsWith(".zip") ? "application/zip" : "application/octet-stream");
      c.header("Content-Disposition", `attachment; filename="${file}"`);
      return c.body(data);
    } catch {
      return c.json({ error: "no such export" }, 404);
    }
  });

  return app;
}
