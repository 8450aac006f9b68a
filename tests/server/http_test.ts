/** server/http.ts's error mapping through a real Hono app: by class, and a bug is a 500 with an id, never a 400. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { errorResponse } from "../../server/http.ts";
import { named } from "../../server/compare_job.ts";
import { ValidationError } from "../../server/schema.ts";
import { ConfigError, ParamError } from "../../strategies/mod.ts";
import { ModelFormatError } from "../../model/config.ts";

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
