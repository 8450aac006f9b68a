/**
 * The shipped server (`cli/serve.ts`, a real process) under abuse: a flood of idle connections with
 * the open-file limit lowered to 256, and eight plugin loads at once on a fresh --data-dir followed
 * by kill -9 and a restart (every pin on disk, a changed module refused, a queued job that names a
 * plugin by name resumed). Plugins come from a test-owned HTTP server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pluginSource, sandboxPids, VALID_TABLE, withServer } from "../plugins/_server.ts";
import { DEFAULT_POOL_LIMITS } from "../../plugins/mod.ts";
import { JobStore } from "../../server/job_store.ts";
import { startServe, waitForJob } from "./_serve_process.ts";

const hasPrlimit = await new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);
if (!hasPrlimit) console.error("abuse_test: prlimit is missing; the file-limit test is ignored");

async function health(base: string): Promise<number> {
  const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name: "with ulimit -n 256, 300 idle connections neither kill the server nor stop /api/health",
  ignore: !hasPrlimit,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "ropekit_abuse_test_" });
    const server = await startServe(dataDir, [], {}, 0, { nofile: 256 });
    const port = Number(new URL(server.base).port);
    const idle: Deno.TcpConn[] = [];
    try {
      // Opened in batches, /api/health asked between them: it must answer all along.
      for (let batch = 0; batch < 6; batch++) {
        for (let i = 0; i < 50; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        assert.equal(await health(server.base), 200, `after ${idle.length} idle connections`);
      }
      for (let i = 0; i < 5; i++) assert.equal(await health(server.base), 200);
    } finally {
      for (const conn of idle) {
        try {
          conn.close();
        } catch { /* closed by the server already */ }
      }
    }
    try {
      assert.equal(await health(server.base), 200);
      const alive = await Promise.race([server.status.then(() => false), Promise.resolve(true)]);
      assert.ok(alive, server.stderr());
      assert.doesNotMatch(server.stderr(), /Too many open files|Uncaught/);
    } finally {
      await server.kill();
    }
  },
});

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("8 plugin loads at once on a fresh --data-dir, kill -9, restart: every pin kept, a changed module refused, a job naming a plugin resumes", async () => {
  const sources: Record<string, string> = {};
  for (let i = 0; i < 8; i++) sources[`/p${i}.ts`] = pluginSource(VALID_TABLE, { name: `race-${i}` });
  await withServer({ ...sources }, async (plugins) => {
    // A --data-dir that does not exist yet: the server creates what it writes.
    const dataDir = join(await Deno.makeTempDir({ prefix: "ropekit_abuse_test_" }), "fresh");
    const args = ["--allow-plugin-host", `127.0.0.1:${plugins.port}`];
    let server = await startServe(dataDir, args);
    try {
      const answers = await Promise.all(
        Object.keys(sources).map(async (path) => {
          const res = await fetch(`${server.base}/api/plugins`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ url: plugins.url(path) }),
          });
          return [res.status, await res.text()] as const;
        }),
      );
      for (const [status, body] of answers) assert.equal(status, 201, body);
      // Eight plugins loaded, but their sandbox processes are pooled (DEFAULT_POOL_LIMITS.maxLive).
      assert.ok(
        (await sandboxPids()).length <= DEFAULT_POOL_LIMITS.maxLive,
        "sandbox processes over the pool's bound",
      );
      // A job that names a plugin by its name, queued behind another, when the server is killed.
      const model = (await (await fetch(`${server.base}/api/models`)).json())[0].id;
      const submit = async (strategies: string[]) => {
        const res = await fetch(`${server.base}/api/compare`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, strategies, lengths: [512], samples: 1, metrics: ["ppl"] }),
        });
        const job = await res.json();
        assert.equal(res.status, 202, JSON.stringify(job));
        return job.id as string;
      };
      await submit(["default"]);
      const byName = await submit(["race-5"]);
      await server.kill();
      const onDisk = (await new JobStore(dataDir).loadAll()).find((j) => j.id === byName);
      assert.notEqual(onDisk?.status, "done", "the job must still be unfinished at the kill");

      const lock = JSON.parse(await Deno.readTextFile(join(dataDir, "plugins.lock.json")));
      for (const [path, source] of Object.entries(sources)) {
        assert.equal(lock.plugins[plugins.url(path)]?.sha256, await sha256(source), `pin of ${path}`);
      }

      plugins.set(
        "/p3.ts",
        pluginSource(VALID_TABLE.replace("attentionScale: 1", "attentionScale: 2"), {
          name: "race-3",
        }),
      );
      server = await startServe(dataDir, args);
      const resumed = await waitForJob(
        server.base,
        byName,
        (j) => j.status !== "queued" && j.status !== "running",
      );
      assert.equal(resumed.status, "done", String(resumed.error));
      const refused = await fetch(`${server.base}/api/plugins`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: plugins.url("/p3.ts") }),
      });
      const body = await refused.json();
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(body.code, "PLUGIN_INTEGRITY");
      assert.match(body.error, /the module changed/);
    } finally {
      await server.kill();
    }
  });
});

Deno.test("through the real server's front door, a client that goes away stops its plugin call before the deadline", async () => {
  // Loops forever for one odd seq_len the conformance suite never asks for.
  const looping = pluginSource("if (ctx.seqLen === 1237) { while (true) {} } " + VALID_TABLE, {
    name: "gone",
  });
  await withServer({ "/gone.ts": looping }, async (plugins) => {
    const dataDir = await Deno.makeTempDir({ prefix: "ropekit_abuse_test_" });
    const server = await startServe(dataDir, ["--allow-plugin-host", `127.0.0.1:${plugins.port}`]);
    const post = (path: string, body: unknown, signal?: AbortSignal) =>
      fetch(server.base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
    try {
      const loaded = await post("/api/plugins", { url: plugins.url("/gone.ts") });
      assert.equal(loaded.status, 201, await loaded.text());
      const config = { rope_theta: 10000, head_dim: 64, max_position_embeddings: 2048 };
      const client = new AbortController();
      const call = post("/api/rope", { config, strategy: "gone", seq_len: 1237 }, client.signal).catch(
        () => {},
      );
      await new Promise((r) => setTimeout(r, 500));
      const busy = await sandboxPids();
      assert.ok(busy.length > 0, "the plugin's sandbox runs the call");
      const aborted = performance.now();
      client.abort();
      await call;
      // The deadline (5 s from the call) would kill it too: it must go well before.
      while ((await sandboxPids()).some((pid) => busy.includes(pid))) {
        assert.ok(performance.now() - aborted < 3_000, "the sandbox still runs 3 s after its client left");
        await new Promise((r) => setTimeout(r, 50));
      }
      const again = await post("/api/rope", { config, strategy: "gone", seq_len: 512 });
      assert.equal(again.status, 200, await again.text());
    } finally {
      await server.kill();
    }
  });
});
