/**
 * `/api/compare` and `/api/jobs/*`: queueing, status, server-sent events, downloads, cancellation.
 *
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { htmlReport } from "../compare/report.ts";
import { compareRequest } from "./api_schemas.ts";
import { type CompareBody, resolveCompareBody } from "./compare_job.ts";
import { entryPlugins } from "./plugins.ts";
import { logFault, readJson, requireToken } from "./http.ts";
import type { JobEvent } from "./job_queue.ts";
import { FINAL_STATUSES, JOB_ID, type JobRecord } from "./job_store.ts";
import type { ServerContext } from "./context.ts";

/** A job as clients see it: the paths behind the model and text ids stay on the server. */
function publicJob(job: JobRecord) {
  const { modelSource: _m, textSource: _t, ...request } = job.request;
  return { ...job, request };
}

/** Idle SSE connections get a comment this often, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;
/** How soon an EventSource reconnects after the stream broke (a restarted server resumes its job). */
const RECONNECT_MS = 1_000;

export function jobRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const auth = requireToken(ctx.token);
  const jobOf = (id: string) => (JOB_ID.test(id) ? ctx.queue.get(id) : undefined);
  const noJob = (id: string) => ({ error: `no job ${JSON.stringify(id)}` });

  app.post("/compare", auth, async (c) => {
    const body = await readJson<CompareBody>(c, compareRequest);
    // Plugin URLs among the entries are loaded on demand (allowlisted hosts only), as /api/plugins does.
    const plugins = await entryPlugins(ctx, body.strategies, "strategies");
    const spec = await resolveCompareBody(body, await ctx.models(), ctx.texts, ctx.registry, plugins);
    const job = await ctx.queue.submit(spec);
    c.header("Location", `/api/jobs/${job.id}`);
    return c.json({ ...publicJob(job), position: ctx.queue.waiting }, 202);
  });

  app.get("/jobs", (c) => c.json(ctx.queue.list().map(publicJob)));

  app.get("/jobs/:id", async (c) => {
    const job = jobOf(c.req.param("id"));
    if (!job) return c.json(noJob(c.req.param("id")), 404);
    const report = job.status === "done" ? await ctx.store.readReport(job.id) : undefined;
    return c.json({ ...publicJob(job), ...(report ? { report } : {}) });
  });

  app.delete("/jobs/:id", auth, async (c) => {
    const job = JOB_ID.test(c.req.param("id")) ? await ctx.queue.cancel(c.req.param("id")) : undefined;
    return job ? c.json(publicJob(job)) : c.json(noJob(c.req.param("id")), 404);
  });

  for (const kind of ["json", "html"] as const) {
    app.get(`/jobs/:id/report.${kind}`, async (c) => {
      const job = jobOf(c.req.param("id"));
      const report = job?.status === "done" ? await ctx.store.readReport(job.id) : undefined;
      if (!report) return c.json({ error: "no finished report for this job" }, 404);
      c.header("Content-Disposition", `attachment; filename="report.${kind}"`);
      return kind === "json" ? c.json(report) : c.html(htmlReport(report));
    });
  }

  app.get("/jobs/:id/events", (c) => {
    const job = jobOf(c.req.param("id"));
    if (!job) return c.json(noJob(c.req.param("id")), 404);
    return streamSSE(c, async (stream) => {
      const pending: JobEvent[] = [];
      let wake = () => {};
      // Subscribe before reading the status, so an event between the two cannot be missed.
      const unsubscribe = ctx.queue.subscribe(job.id, (e) => {
        pending.push(e);
        wake();
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        wake();
      });
      let lastStatus = "";
      const sendStatus = async (data: string) => {
        await stream.writeSSE({
          event: "status",
          data,
          ...(lastStatus === "" ? { retry: RECONNECT_MS } : {}),
        });
        lastStatus = data;
      };
      try {
        await sendStatus(JSON.stringify(publicJob(job)));
        while (!closed && !FINAL_STATUSES.includes(job.status)) {
          if (pending.length === 0) {
            const timedOut = await new Promise<boolean>((resolve) => {
              const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
              wake = () => {
                clearTimeout(timer);
                resolve(false);
              };
            });
            if (timedOut) await stream.write(": keep-alive\n\n");
          }
          for (const e of pending.splice(0)) {
            if (e.type === "status") await sendStatus(JSON.stringify(publicJob(e.job)));
            else await stream.writeSSE({ event: "progress", data: JSON.stringify(e.progress) });
          }
        }
        // The status turns final just before its event is announced: make sure the final one goes out.
        const final = JSON.stringify(publicJob(job));
        if (!closed && lastStatus !== final) await sendStatus(final);
        if (!closed && job.status === "done") {
          let report;
          try {
            report = await ctx.store.readReport(job.id);
          } catch (e) {
            // The stream has begun: the fault goes out as an event (not "error", which EventSource keeps
            // for a broken connection), with the id the log repeats.
            const id = logFault(e as Error, c);
            await stream.writeSSE({
              event: "fault",
              data: JSON.stringify({ error: `internal error ${id}`, id }),
            });
            return;
          }
          await stream.writeSSE({ event: "result", data: JSON.stringify(report) });
        }
      } finally {
        unsubscribe();
      }
    });
  });

  return app;
}
