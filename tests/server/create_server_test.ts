/**
 * server/create_server.ts as an embedding program uses it: served by Deno.serve on a free loopback
 * port, reached over real HTTP, closed cleanly; a bad option is refused naming it.
 */
import assert from "node:assert/strict";
import { createServer, SERVER_VERSION } from "../../server/mod.ts";
import { ValidationError } from "../../server/schema.ts";

Deno.test("createServer: /api/health over real HTTP on a free loopback port; the token guards jobs", async () => {
  const dataDir = await Deno.makeTempDir();
  const ropekit = await createServer({ dataDir, token: "secret-token-123" });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, ropekit.fetch);
  try {
    const base = `http://127.0.0.1:${http.addr.port}`;
    const health = await fetch(`${base}/api/health`);
    assert.equal(health.status, 200);
    const body = await health.json();
    assert.equal(body.status, "ok");
    assert.equal(body.version, SERVER_VERSION);
    assert.equal(body.auth, true);
    // Creating a job without the token is refused; the API answers as `deno task serve` does.
    const refused = await fetch(`${base}/api/compare`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    // The web page was not asked for: `/` says so instead of serving a stale bundle.
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 503);
    await page.body?.cancel();
  } finally {
    await http.shutdown();
    await ropekit.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("createServer: a token shorter than 8 characters is refused, naming the option", async () => {
  await assert.rejects(createServer({ dataDir: "/nonexistent/never-created", token: "short" }), (e) => {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.field, "token");
    assert.equal(e.message, "token: must have at least 8 characters");
    return true;
  });
});
