/**
 * The HTTP API and the web page, as one Hono app. `app.request()` serves tests; cli/serve.ts puts
 * it behind `Deno.serve`.
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { METRICS } from "../compare/compare.ts";
import { NEEDLE_TEMPLATES } from "../eval/needle.ts";
import { strategyInfo } from "../strategies/registry.ts";
import { LIMITS, pluginRequest, ropeRequest } from "./api_schemas.ts";
import { formFields } from "../compare/options.ts";
import type { ServerContext } from "./context.ts";
import {
  errorResponse,
  frameDenied,
  loopbackHostOnly,
  readJson,
  requireToken,
  sameOriginWrites,
} from "./http.ts";
import { jobRoutes } from "./job_routes.ts";
import { workbenchRoutes } from "./workbench_routes.ts";
import { openApiDocument } from "./openapi.ts";
import { ensurePlugin, withCallSignal } from "./plugins.ts";
import { isPluginEntry } from "../entries/mod.ts";
import { type RopeRequest, ropeResponse } from "./rope_response.ts";

/** Version reported by /api/health and the OpenAPI document. */
export const SERVER_VERSION = "0.1.0";

const publicEntry = ({ id, format, origin }: { id: string; format: string; origin: string }) => ({
  id,
  format,
  origin,
});

export function createApp(ctx: ServerContext): Hono {
  const app = new Hono();
  app.onError(errorResponse);
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.use("*", frameDenied());
  if (ctx.loopbackOnly) app.use("*", loopbackHostOnly());
  // Before anything reads a body: another site's request is refused whatever it carries.
  app.use("/api/*", sameOriginWrites(ctx.allowOrigins));
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: LIMITS.bodyBytes,
      onError: (c) => c.json({ error: `body: larger than ${LIMITS.bodyBytes} bytes`, field: "body" }, 400),
    }),
  );

  app.get("/api/health", (c) =>
    c.json({
      status: "ok",
      version: SERVER_VERSION,
      queue: { waiting: ctx.queue.waiting, max_waiting: ctx.queue.maxWaiting },
      auth: ctx.token !== undefined,
    }));
  app.get("/api/openapi.json", (c) => c.json(openApiDocument(SERVER_VERSION)));
  app.get(
    "/api/options",
    (c) =>
      c.json({
        metrics: METRICS,
        templates: Object.keys(NEEDLE_TEMPLATES),
        limits: LIMITS,
        // The web form's fields, bounds and first values, from the one declaration (compare/options.ts).
        compare: formFields(),
      }),
  );
  app.get("/api/strategies", (c) => c.json(ctx.registry.list().map(strategyInfo)));
  app.get("/api/models", async (c) => c.json((await ctx.models()).map(publicEntry)));
  app.get("/api/texts", (c) => c.json(ctx.texts.map(publicEntry)));

  app.post("/api/rope", async (c) => {
    const req = await readJson<RopeRequest>(c, ropeRequest);
    // Naming a plugin URL loads it: that needs the token, as POST /api/plugins does.
    if (req.strategy !== undefined && isPluginEntry(req.strategy)) {
      const refused = await requireToken(ctx.token)(c, () => Promise.resolve());
      if (refused) return refused;
    }
    // A plugin URL as the strategy is loaded on demand, exactly as POST /api/plugins loads it; plugin
    // calls stop when the client goes away.
    const { view, add } = withCallSignal(ctx.registry, () => c.req.raw.signal);
    const plugins = (specifier: string) => ensurePlugin(ctx, specifier, "strategy").then((p) => (add(p), p));
    return c.json(await ropeResponse(req, view, plugins));
  });

  app.post("/api/plugins", requireToken(ctx.token), async (c) => {
    const { url } = await readJson<{ url: string }>(c, pluginRequest);
    const strategy = await ensurePlugin(ctx, url);
    return c.json({
      name: strategy.name,
      version: strategy.version,
      description: strategy.description,
      params: strategy.params,
    }, 201);
  });

  app.route("/api", jobRoutes(ctx));
  app.route("/api", workbenchRoutes(ctx));

  app.get("/", (c) => (ctx.web ? c.html(ctx.web.html) : c.text("the web page was not built", 503)));
  app.get("/assets/main.js", (c) => {
    if (!ctx.web) return c.notFound();
    c.header("Content-Type", "text/javascript; charset=utf-8");
    return c.body(ctx.web.js);
  });
  app.get("/assets/main.css", (c) => {
    if (!ctx.web) return c.notFound();
    c.header("Content-Type", "text/css; charset=utf-8");
    return c.body(ctx.web.css);
  });
  return app;
}
