/**
 * Every hostile plugin the sandbox refuses (file, network, env, process, imports, endless loops,
 * memory) is still refused when it arrives by URL on the command line: `rope --strategy URL` as a
 * subprocess, against a test-owned server on 127.0.0.1. A canary TCP listener counts connections,
 * so "nothing reached the network" is measured, and no sandbox process may outlive the command.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CASES } from "./_cases.ts";
import { loadPlugin } from "../../plugins/mod.ts";
import { pluginSource, runCli, sandboxPids, VALID_TABLE, withServer } from "./_server.ts";

const CONFIG = { rope_theta: 10000, head_dim: 64, hidden_size: 512, num_attention_heads: 8 };
const HOSTILE = new Set(["PLUGIN_PERMISSION", "PLUGIN_TIMEOUT", "PLUGIN_MEMORY"]);
/**
 * The CLI runs with the default limits, not the shorter ones the loader tests pass (they pin which limit
 * fires). At the defaults a memory bomb meets two limits: filling 512 MiB with small JS objects took longer
 * than the 5 s deadline on this 2-core machine under load, so either may stop it first; both are refusals.
 */
const AT_DEFAULT_LIMITS: Record<string, RegExp> = {
  PLUGIN_TIMEOUT: /ran past the 5000 ms deadline/,
  PLUGIN_MEMORY: /ran past the 512 MiB memory limit and was stopped|ran past the 5000 ms deadline/,
};

/** A TCP listener that only counts the connections it receives. */
function canary(): { port: number; hits: () => number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let hits = 0;
  (async () => {
    try {
      for await (const conn of listener) {
        hits++;
        conn.close();
      }
    } catch { /* closed */ }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, hits: () => hits, close: () => listener.close() };
}

function reachingOut(port: number) {
  const target = `http://127.0.0.1:${port}/x.ts`;
  const asyncTable = (body: string) => pluginSource(body).replace("table(spec", "async table(spec");
  return [
    {
      does: "fetches a URL",
      source: asyncTable(`await fetch("${target}");`),
      message: /Requires net access/,
    },
    {
      does: "opens a socket to the canary",
      source: asyncTable(`await Deno.connect({ hostname: "127.0.0.1", port: ${port} });`),
      message: new RegExp(`Requires net access to "127\\.0\\.0\\.1:${port}"`),
    },
    {
      does: "imports a module dynamically",
      source: asyncTable(`await import("${target}"); ${VALID_TABLE}`),
      message: /Requires import access to "127\.0\.0\.1:\d+".*bundle/,
    },
    {
      does: "imports a module statically",
      source: pluginSource(VALID_TABLE, { moduleCode: `import "${target}";` }),
      message: /Requires import access to "127\.0\.0\.1:\d+".*bundle/,
    },
  ];
}

Deno.test({
  name: "hostile plugins by URL: refused on the command line, nothing reaches the network, no process left",
  ignore: Deno.build.os === "windows", // sandboxPids runs ps
  async fn() {
    const net = canary();
    const dir = await Deno.makeTempDir({ prefix: "ropekit_hostile_" });
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(CONFIG));
    const before = new Set(await sandboxPids());
    const cases = [
      ...CASES.filter((c) => HOSTILE.has(c.code)).map((c) => ({
        does: c.does,
        source: c.source as string,
        message: c.options ? AT_DEFAULT_LIMITS[c.code] : c.message,
      })),
      ...reachingOut(net.port),
    ];
    try {
      assert.ok(cases.length >= 15, `${cases.length} cases`);
      for (const c of cases) {
        await withServer({ "/plugin.ts": c.source }, async (server) => {
          const url = server.url("/plugin.ts");
          const r = await runCli("rope", ["--config", "config.json", "--strategy", url], { cwd: dir });
          assert.equal(r.code, 1, `${c.does}: ${r.stdout}`);
          const lines = r.stderr.trim().split("\n");
          assert.equal(lines.length, 1, `${c.does}: ${r.stderr}`);
          assert.ok(lines[0].startsWith(`error: Cannot load plugin "${url}": `), `${c.does}: ${lines[0]}`);
          assert.match(lines[0], c.message, `${c.does}: ${lines[0]}`);
          assert.deepEqual(server.requests, ["/plugin.ts"], `${c.does}: asked the plugin server for more`);
          const left = (await sandboxPids()).filter((p) => !before.has(p));
          assert.deepEqual(left, [], `${c.does}: sandbox processes left behind`);
        });
      }
      assert.equal(net.hits(), 0, "a plugin reached the network");
      await assert.rejects(Deno.stat(join(dir, "ropekit.plugins.lock.json")), Deno.errors.NotFound);
    } finally {
      net.close();
    }
  },
});

Deno.test({
  name: "hostile plugins by URL: the process probe sees a live sandbox (so its 'none left' is meaningful)",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withServer({ "/p.ts": pluginSource(VALID_TABLE) }, async (server) => {
      const before = new Set(await sandboxPids());
      const plugin = await loadPlugin(server.url("/p.ts"), { lockFile: false });
      const live = (await sandboxPids()).filter((p) => !before.has(p));
      await plugin.close();
      assert.equal(live.length, 1, `live sandboxes: ${live}`);
      assert.deepEqual((await sandboxPids()).filter((p) => !before.has(p)), []);
    });
  },
});
