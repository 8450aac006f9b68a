/**
 * A real plugin through the server: examples/plugins/power_law.ts served on a loopback port that is
 * on the allowlist, loaded into its sandbox by plugins/'s loader, then used by /api/rope and by a
 * comparison (whose worker asks the server for the plugin's tables).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPlugin } from "../../plugins/mod.ts";
import { listen, readEvents, testContext, TINY_JOB } from "./_server.ts";

const PLUGIN = new URL("../../examples/plugins/power_law.ts", import.meta.url);

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
    const post = (path: string, body: unknown) =>
      fetch(server.base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
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
      const events = await readEvents(await fetch(`${server.base}/api/jobs/${job.id}/events`));
      const final = JSON.parse(events.filter((e) => e.event === "status").at(-1)!.data);
      assert.equal(final.status, "done", final.error);
      const report = JSON.parse(events.at(-1)!.data);
      assert.equal(report.strategies[0].label, "power-law:exponent=2");
    } finally {
      for (const s of ctx.registry.list()) await (s as { close?: () => Promise<void> }).close?.();
      await server.close();
      await host.shutdown();
    }
  },
});
