/** server/http.ts's error mapping through a real Hono app: by class, and a bug is a 500 with an id, never a 400. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { errorResponse } from "../../server/http.ts";
import { named } from "../../server/compare_job.ts";
import { ValidationError } from "../../server/schema.ts";
import { ConfigError, ParamError } from "../../strategies/mod.ts";
import { ModelFormatError } from "../../model/config.ts";
import { NoPluginLoaderError } from "../../server/plugins.ts";
import { QueueFullError } from "../../server/job_queue.ts";
import { ExportError } from "../../export/export_model.ts";

function app(): Hono {
  const a = new Hono();
  a.onError(errorResponse);
  a.get("/validation", () => {
    throw new ValidationError("lengths[1]", "must be finite");
  });
  a.get("/config", () => {
    throw new ConfigError("rope_theta must be positive");
  });
  a.get("/param", () =>
    named("strategies[0]", () => {
      throw new ParamError('yarn: parameter "factor" must be ≥ 1');
    }));
  a.get("/bug", () =>
    named("strategies[0]", () => {
      throw new TypeError("cannot read properties of undefined");
    }));
  // A RopekitError the table does not name is the server's problem, not the request's.
  a.get("/server-file", () => {
    throw new ModelFormatError("m.bin: missing tensor wq");
  });
  return a;
}

Deno.test("client errors: 400 with the message and the field", async () => {
  const a = app();
  for (
    const [path, error, field] of [
      ["/validation", "lengths[1]: must be finite", "lengths[1]"],
      ["/config", "rope_theta must be positive", "config"],
      ["/param", 'strategies[0]: yarn: parameter "factor" must be ≥ 1', "strategies[0]"],
    ]
  ) {
    const r = await a.request(path);
    assert.equal(r.status, 400, path);
    assert.deepEqual(await r.json(), { error, field });
  }
});

Deno.test("unexpected errors: 500 with an id that the log line repeats, never a 400", async () => {
  const a = app();
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
  try {
    for (const path of ["/bug", "/server-file"]) {
      const r = await a.request(path);
      assert.equal(r.status, 500, path);
      const body = await r.json();
      assert.match(body.id, /^[0-9a-f]{8}$/);
      assert.equal(body.error, `internal error ${body.id}; see the server log`);
      assert.ok(logged.some((l) => l.includes(body.id) && l.includes(path)), logged.join("\n"));
    }
  } finally {
    console.error = original;
  }
});

Deno.test("the one status table: 501 without a plugin loader, 429 with Retry-After, 400 for a refused export", async () => {
  const a = new Hono();
  a.onError(errorResponse);
  a.get("/no-loader", () => {
    throw new NoPluginLoaderError();
  });
  a.get("/full", () => {
    throw new QueueFullError(7);
  });
  a.get("/export", () => {
    throw new ExportError("yarn cannot be written as llama.cpp metadata");
  });
  const noLoader = await a.request("/no-loader");
  assert.equal(noLoader.status, 501);
  assert.deepEqual(await noLoader.json(), { error: "this server has no plugin loader" });
  const full = await a.request("/full");
  assert.equal(full.status, 429);
  assert.equal(full.headers.get("Retry-After"), "7");
  assert.deepEqual(await full.json(), { error: "the job queue is full; retry in about 7 s" });
  const refused = await a.request("/export");
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), {
    error: "yarn cannot be written as llama.cpp metadata",
    field: "strategy",
  });
});

Deno.test("routes pick no status by hand: no route module catches an error class to answer it", async () => {
  // The table in server/http.ts is the one place; a route that catches NoPluginLoaderError or
  // QueueFullError to choose 501/429 itself would be a second one.
  for (const file of ["app.ts", "job_routes.ts", "workbench_routes.ts", "search_jobs.ts"]) {
    const src = await Deno.readTextFile(new URL(`../../server/${file}`, import.meta.url));
    assert.doesNotMatch(src, /instanceof (NoPluginLoaderError|QueueFullError|ExportError)/, file);
    assert.doesNotMatch(src, /\b(501|429)\)/, file);
  }
});
