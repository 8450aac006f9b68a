/**
 * A real plugin through the server: examples/plugins/power_law.ts served on a loopback port that is
 * on the allowlist, loaded into its sandbox by plugins/'s loader, then used by /api/rope and by a
 * comparison (whose worker asks the server for the plugin's tables).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPlugin } from "../../plugins/mod.ts";
import { HeldRunner, listen, readEvents, testContext, TINY_JOB } from "./_server.ts";
import { sandboxPids, withServer } from "../plugins/_server.ts";
import { createApp } from "../../server/app.ts";

const PLUGIN = new URL("../../examples/plugins/power_law.ts", import.meta.url);

/** POSTs `body` as JSON to `base + path`. */
function postJson(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Follows a job's events to its end; asserts it is done and returns its report. */
async function finishedReport(base: string, id: string) {
  const events = await readEvents(await fetch(`${base}/api/jobs/${id}/events`));
  const final = JSON.parse(events.filter((e) => e.event === "status").at(-1)!.data);
  assert.equal(final.status, "done", final.error);
  return JSON.parse(events.at(-1)!.data);
}

Deno.test({
  name: "plugins: an allowlisted plugin is sandboxed, listed, and usable by rope and compare",
  async fn() {
    const source = await Deno.readTextFile(PLUGIN);
    const host = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(source, { headers: { "content-type": "application/typescript" } }),
    );
    const dataDir = await Deno.makeTempDir();
    const ctx = await testContext({
      dataDir,
      pluginHosts: [`127.0.0.1:${host.addr.port}`],
      loadPlugin: (url) => loadPlugin(url, { lockFile: join(dataDir, "plugins.lock.json") }),
    });
    const server = listen(ctx);
    const post = (path: string, body: unknown) => postJson(server.base, path, body);
    try {
      const res = await post("/api/plugins", { url: `http://127.0.0.1:${host.addr.port}/power_law.ts` });
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal((await res.json()).name, "power-law");
      const rope = await (await post("/api/rope", {
        config: { rope_theta: 10000, head_dim: 64, max_position_embeddings: 2048 },
        strategy: "power-law",
        params: { factor: 4 },
      })).json();
      assert.equal(rope.inv_freq.length, 32);
      assert.equal(rope.inv_freq[0], 1); // the fastest pair is kept
      const job = await (await post("/api/compare", { ...TINY_JOB, strategies: ["power-law:exponent=2"] }))
        .json();
      const report = await finishedReport(server.base, job.id);
      assert.equal(report.strategies[0].label, "power-law:exponent=2");
    } finally {
      for (const s of ctx.registry.list()) await (s as { close?: () => Promise<void> }).close?.();
      await server.close();
      await host.shutdown();
    }
  },
});

const EXAMPLES = new URL("../../examples/plugins/", import.meta.url);
const MODEL = new URL("../../models/facts837K/model.bin", import.meta.url).pathname;
const EVAL_TEXT = new URL("../../models/facts837K/eval.txt", import.meta.url).pathname;
const QUICK_JOB = { model: "model.bin", lengths: [512], samples: 1, metrics: ["ppl"] };

Deno.test("plugins: /api/compare and /api/rope load an allowlisted plugin URL on demand; refusals are 4xx", async () => {
  const routes: Record<string, string> = {};
  for (const name of ["power_law.ts", "ntk_alpha.ts"]) {
    routes[`/${name}`] = await Deno.readTextFile(new URL(name, EXAMPLES));
  }
  await withServer(routes, async (host) => {
    const base = host.url("");
    const dataDir = await Deno.makeTempDir();
    const lockFile = join(dataDir, "plugins.lock.json");
    const ctx = await testContext({
      dataDir,
      models: [MODEL],
      texts: [EVAL_TEXT],
      pluginHosts: [`127.0.0.1:${host.port}`],
      loadPlugin: (url) => loadPlugin(url, { lockFile }),
    });
    const server = listen(ctx);
    const post = (path: string, body: unknown) => postJson(server.base, path, body);
    try {
      // Refusals first: nothing may reach the lock file.
      const refused: [string, RegExp][] = [
        [
          `http://localhost:${host.port}/power_law.ts`,
          /strategies\[1\]: host localhost:\d+ is not on the plugin allowlist/,
        ],
        [`${base}/missing.ts`, /Cannot load plugin ".*\/missing\.ts": HTTP 404/],
        [`${base}/power_law.ts#sha256=${"0".repeat(64)}`, /the URL pins 0{64}/],
        [`${base}/power_law.ts,exponent=2`, /power_law\.ts,exponent=2": HTTP 404/], // one array item: one URL
      ];
      for (const [entry, message] of refused) {
        const res = await post("/api/compare", { ...QUICK_JOB, strategies: ["yarn", entry] });
        const body = await res.json();
        assert.ok(res.status >= 400 && res.status < 500, `${entry}: ${res.status} ${JSON.stringify(body)}`);
        assert.match(`${body.field ? `${body.field}: ` : ""}${body.error}`, message);
      }
      await assert.rejects(Deno.stat(lockFile), Deno.errors.NotFound);

      const url = `${base}/power_law.ts#exponent=2`;
      const res = await post("/api/compare", { ...QUICK_JOB, strategies: ["yarn", url] });
      assert.equal(res.status, 202, await res.clone().text());
      const report = await finishedReport(server.base, (await res.json()).id);
      assert.deepEqual(report.strategies.map((s: { label: string }) => s.label).slice(-2), ["yarn", url]);
      assert.equal(report.strategies.at(-1).name, "power-law");
      const lock = JSON.parse(await Deno.readTextFile(lockFile));
      assert.deepEqual(Object.keys(lock.plugins), [`${base}/power_law.ts`]);

      // The same URL again reuses the loaded plugin; /api/rope takes a URL with # parameters.
      const again = await post("/api/compare", { ...QUICK_JOB, strategies: [url] });
      assert.equal(again.status, 202);
      await finishedReport(server.base, (await again.json()).id);
      // Fetched twice: once refused for its pin, once loaded; the second job reused the loaded plugin.
      assert.equal(host.requests.filter((p) => p === "/power_law.ts").length, 2);
      const rope = await post("/api/rope", {
        config: { rope_theta: 10000, head_dim: 64, max_position_embeddings: 2048 },
        strategy: `${base}/ntk_alpha.ts#alpha=8`,
      });
      const table = await rope.json();
      assert.equal(rope.status, 200, JSON.stringify(table));
      assert.equal(table.inv_freq[0], 1);
      assert.ok(Math.abs(table.inv_freq[31] / Math.pow(10000, -62 / 64) - 1 / 8) < 1e-12);
      const names = (await (await fetch(server.base + "/api/strategies")).json()).map((s: { name: string }) =>
        s.name
      );
      assert.ok(names.includes("power-law") && names.includes("ntk-alpha"), String(names));
    } finally {
      for (const s of ctx.registry.list()) await (s as { close?: () => Promise<void> }).close?.();
      await server.close();
    }
  });
});

/** Starts `deno run cli/serve.ts ARGS` on a free port; resolves once it prints where it listens. */
async function serve(args: string[]): Promise<{ base: string; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-ffi=${new URL("../../.build", import.meta.url).pathname}`,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net=127.0.0.1",
      "--allow-run",
      new URL("../../cli/serve.ts", import.meta.url).pathname,
      "--port",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
  };
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  while (!/open (http:\/\/\S+)\//.test(banner)) {
    const { value, done } = await lines.read();
    if (done) {
      await stop();
      throw new Error(`the server exited before listening: ${banner}`);
    }
    banner += value;
  }
  lines.releaseLock();
  return { base: /open (http:\/\/\S+)\//.exec(banner)![1], stop };
}

Deno.test({
  name:
    "plugins: `serve --allow-plugin-host 127.0.0.1:PORT` runs a compare request naming the plugin URL beside YaRN",
  sanitizeResources: false, // the server subprocess's stdout stays open until it is killed
  async fn() {
    const source = await Deno.readTextFile(new URL("power_law.ts", EXAMPLES));
    const before = new Set(await sandboxPids());
    await withServer({ "/power_law.ts": source }, async (host) => {
      const dataDir = await Deno.makeTempDir();
      const server = await serve(["--data-dir", dataDir, "--allow-plugin-host", `127.0.0.1:${host.port}`]);
      try {
        const url = host.url("/power_law.ts");
        const res = await postJson(server.base, "/api/compare", { ...QUICK_JOB, strategies: ["yarn", url] });
        assert.equal(res.status, 202, await res.clone().text());
        const report = await finishedReport(server.base, (await res.json()).id);
        assert.deepEqual(report.strategies.map((s: { label: string }) => s.label).slice(-2), ["yarn", url]);
        const lock = JSON.parse(await Deno.readTextFile(join(dataDir, "plugins.lock.json")));
        assert.equal(lock.plugins[url].name, "power-law");
      } finally {
        await server.stop();
      }
    });
    // The plugin's sandbox sees its stdin close with the server and exits: none is left behind.
    let left = await sandboxPids();
    for (let i = 0; i < 40 && left.some((p) => !before.has(p)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await sandboxPids();
    }
    assert.deepEqual(left.filter((p) => !before.has(p)), []);
  },
});

Deno.test("plugins: with --token, naming a plugin URL in /api/rope needs the token (it loads the plugin)", async () => {
  const loaded: string[] = [];
  const ctx = await testContext({
    token: "s3cret-token",
    pluginHosts: ["plugins.example.org"],
    loadPlugin: async (url) => {
      loaded.push(url);
      const { strategy } = await import("../../examples/plugins/power_law.ts");
      return strategy;
    },
  });
  const app = createApp(ctx);
  const rope = (headers: Record<string, string>) =>
    app.request("/api/rope", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({
        config: { rope_theta: 10000, head_dim: 64, max_position_embeddings: 2048 },
        strategy: "https://plugins.example.org/power_law.ts#factor=4",
      }),
    });
  try {
    const refused = await rope({});
    assert.equal(refused.status, 401);
    assert.deepEqual(loaded, []);
    const ok = await rope({ authorization: "Bearer s3cret-token" });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.deepEqual(loaded, ["https://plugins.example.org/power_law.ts"]);
    assert.equal((await ok.json()).inv_freq.at(-1), Math.pow(10000, -62 / 64) / 4);
  } finally {
    ctx.close();
  }
});

Deno.test("plugins: a job naming a plugin URL, resumed after a restart, loads the plugin again and finishes", async () => {
  const source = await Deno.readTextFile(PLUGIN);
  const host = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(source, { headers: { "content-type": "application/typescript" } }),
  );
  const dataDir = await Deno.makeTempDir();
  const settings = {
    dataDir,
    pluginHosts: [`127.0.0.1:${host.addr.port}`],
    loadPlugin: (url: string) => loadPlugin(url, { lockFile: join(dataDir, "plugins.lock.json") }),
  };
  const url = `http://127.0.0.1:${host.addr.port}/power_law.ts#exponent=2`;
  // The first server takes the job and "crashes" while it runs (it is abandoned with its plugin loaded).
  const held = new HeldRunner();
  const first = await testContext({ ...settings, runner: held });
  const firstServer = listen(first);
  let second: Awaited<ReturnType<typeof testContext>> | undefined;
  let secondServer: ReturnType<typeof listen> | undefined;
  try {
    const res = await postJson(firstServer.base, "/api/compare", { ...TINY_JOB, strategies: ["yarn", url] });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = await res.json();
    await held.waitStarted(1);
    // A new server on the same data dir, with the real compare worker and an empty registry.
    second = await testContext(settings);
    secondServer = listen(second);
    const report = await finishedReport(secondServer.base, id);
    assert.deepEqual(report.strategies.map((s: { label: string }) => s.label), ["yarn", url]);
    assert.equal(second.queue.get(id)!.restarts, 1);
    assert.ok(second.registry.has("power-law"), "the resumed job loaded its plugin");
  } finally {
    for (const ctx of [first, second]) {
      for (const s of ctx?.registry.list() ?? []) await (s as { close?: () => Promise<void> }).close?.();
      ctx?.close();
    }
    await firstServer.close();
    await secondServer?.close();
    await host.shutdown();
  }
});
