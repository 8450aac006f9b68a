/**
 * Smaller defences of the HTTP surface, through a real listening server: the page cannot be framed,
 * the bearer scheme is case-insensitive, a host-side fault while loading a plugin is a 500 with an
 * id, a plugin's timeout is its own 504, and a client that goes away cancels its plugin call.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPlugin } from "../../plugins/mod.ts";
import { listen, testContext } from "./_server.ts";
import { pluginSource, sandboxPids, VALID_TABLE, withServer } from "../plugins/_server.ts";

const CONFIG = { rope_theta: 10000, head_dim: 64, max_position_embeddings: 2048 };

function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

Deno.test("the page cannot be framed by another site, and the bearer scheme is matched case-insensitively", async () => {
  const server = listen(await testContext({ token: "s3cret-token" }));
  try {
    const page = await fetch(`${server.base}/`);
    await page.body?.cancel();
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.match(page.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      // An empty body is a 400 once the token is accepted; a refused token would be a 401.
      const res = await postJson(server.base, "/api/plugins", {}, {
        authorization: `${scheme} s3cret-token`,
      });
      assert.equal(res.status, 400, `${scheme}: ${await res.text()}`);
    }
    const wrong = await postJson(server.base, "/api/plugins", {}, { authorization: "bearer wrong-token" });
    await wrong.body?.cancel();
    assert.equal(wrong.status, 401);
  } finally {
    await server.close();
  }
});

Deno.test("a host-side fault while loading a plugin (its lock file is unusable) is a 500 with an id", async () => {
  await withServer({ "/ok.ts": pluginSource(VALID_TABLE, { name: "host-fault" }) }, async (plugins) => {
    const dataDir = await Deno.makeTempDir();
    const notADir = join(dataDir, "a-file");
    await Deno.writeTextFile(notADir, "");
    const server = listen(
      await testContext({
        dataDir,
        pluginHosts: [`127.0.0.1:${plugins.port}`],
        loadPlugin: (url) => loadPlugin(url, { lockFile: join(notADir, "plugins.lock.json") }),
      }),
    );
    try {
      const res = await postJson(server.base, "/api/plugins", { url: plugins.url("/ok.ts") });
      const body = await res.json();
      assert.equal(res.status, 500, JSON.stringify(body));
      assert.match(body.id, /^[0-9a-f]{8}$/);
      assert.doesNotMatch(JSON.stringify(body), /PLUGIN_SANDBOX|\n\s+at /);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a plugin's timeout is a 504 PLUGIN_TIMEOUT, and a client that goes away cancels its call", async () => {
  // Loops forever for one odd seq_len the conformance suite never asks for.
  const looping = (name: string) =>
    pluginSource("if (ctx.seqLen === 1237) { while (true) {} } " + VALID_TABLE, { name });
  await withServer(
    { "/short.ts": looping("looper"), "/long.ts": looping("looper-long") },
    async (plugins) => {
      const dataDir = await Deno.makeTempDir();
      const lockFile = join(dataDir, "plugins.lock.json");
      const server = listen(
        await testContext({
          dataDir,
          pluginHosts: [`127.0.0.1:${plugins.port}`],
          loadPlugin: (url) =>
            loadPlugin(url, { lockFile, timeoutMs: url.endsWith("short.ts") ? 5_000 : 60_000 }),
        }),
      );
      const rope = (strategy: string, seqLen: number, signal?: AbortSignal) =>
        fetch(`${server.base}/api/rope`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ config: CONFIG, strategy, seq_len: seqLen }),
          signal,
        });
      try {
        for (const path of ["/short.ts", "/long.ts"]) {
          const loaded = await postJson(server.base, "/api/plugins", { url: plugins.url(path) });
          assert.equal(loaded.status, 201, await loaded.text());
        }
        const res = await rope("looper", 1237);
        const body = await res.json();
        assert.equal(res.status, 504, JSON.stringify(body));
        assert.equal(body.code, "PLUGIN_TIMEOUT");
        assert.notEqual(body.field, "config");

        // A 60 s deadline, and the client leaves after half a second: the looping sandbox is killed.
        const client = new AbortController();
        const call = rope("looper-long", 1237, client.signal).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
        const busy = await sandboxPids();
        assert.ok(busy.length > 0, "the looping plugin's sandbox is running");
        client.abort();
        await call;
        const end = Date.now() + 5_000;
        while ((await sandboxPids()).some((pid) => busy.includes(pid))) {
          assert.ok(Date.now() < end, "the sandbox still runs 5 s after its client went away");
          await new Promise((r) => setTimeout(r, 100));
        }
        // The plugin still serves the next client (a fresh sandbox).
        const again = await rope("looper-long", 512);
        assert.equal(again.status, 200, await again.text());
      } finally {
        await server.close();
      }
    },
  );
});
