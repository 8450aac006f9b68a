/**
 * The bound on sandbox processes (plugins/sandbox_pool.ts), watched with `ps`: three loaded plugins
 * in a pool of two never run three processes and all still answer; an idle sandbox stops its
 * process; calls waiting for one plugin are bounded (PLUGIN_BUSY); an aborted call stops its
 * running plugin at once. Plugins are served by a test-owned HTTP server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { loadPlugin, PluginError, type PluginStrategy, SandboxPool } from "../../plugins/mod.ts";
import { pluginSource, sandboxPids, VALID_TABLE, withServer } from "./_server.ts";

const SPEC = { theta: 10000, headDim: 64, rotaryDim: 64, originalContext: 2048, maxPositions: 2048 };
const spec = SPEC as unknown as Parameters<PluginStrategy["table"]>[0];
// Loops for one odd seqLen the conformance suite never asks for; otherwise the model's own RoPE.
const SLOW = "if (ctx.seqLen === 1237) { while (true) {} } " + VALID_TABLE;

async function mine(before: Set<number>): Promise<number[]> {
  return (await sandboxPids()).filter((p) => !before.has(p));
}

Deno.test({
  name:
    "sandbox pool: at most maxLive processes, idle ones stopped, waiting calls bounded, aborted calls stopped",
  ignore: Deno.build.os === "windows", // sandboxPids runs ps
  async fn() {
    const routes: Record<string, string> = {};
    for (const n of ["a", "b", "c"]) routes[`/${n}.ts`] = pluginSource(SLOW, { name: `pool-${n}` });
    await withServer(routes, async (server) => {
      const before = new Set(await sandboxPids());
      const pool = new SandboxPool({ maxLive: 2, idleMs: 60_000, maxQueued: 1 });
      const plugins: PluginStrategy[] = [];
      try {
        for (const n of ["a", "b", "c"]) {
          plugins.push(
            await loadPlugin(server.url(`/${n}.ts`), { lockFile: false, pool, timeoutMs: 20_000 }),
          );
          assert.ok((await mine(before)).length <= 2, `after loading pool-${n}`);
        }
        for (const plugin of [...plugins, ...plugins]) {
          const table = await plugin.table(spec, { targetLength: 4096, seqLen: 512 }, {});
          assert.equal(table.invFreq.length, 32);
          assert.ok((await mine(before)).length <= 2, `after a call to ${plugin.name}`);
          assert.ok(pool.live <= 2);
        }

        // A running call, one waiting, and a third refused as busy.
        const stop = new AbortController();
        const running = plugins[0].table(spec, { targetLength: 4096, seqLen: 1237 }, {}, stop.signal)
          .then(() => undefined, (e) => e);
        const waiting = plugins[0].table(spec, { targetLength: 4096, seqLen: 512 }, {}, stop.signal)
          .then(() => undefined, (e) => e);
        await assert.rejects(
          plugins[0].table(spec, { targetLength: 4096, seqLen: 512 }, {}),
          (e) => e instanceof PluginError && e.code === "PLUGIN_BUSY",
        );
        await new Promise((r) => setTimeout(r, 500));
        const busy = await mine(before);
        const t0 = performance.now();
        stop.abort();
        assert.equal((await running)?.name, "AbortError");
        assert.equal((await waiting)?.name, "AbortError");
        assert.ok(performance.now() - t0 < 2_000, "the aborted call ended at once, not at its 20 s deadline");
        const end = Date.now() + 5_000;
        while ((await mine(before)).length >= busy.length) {
          assert.ok(Date.now() < end, "the looping sandbox still runs after its call was aborted");
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        for (const plugin of plugins) await plugin.close();
      }

      // Idle: a pool whose sandboxes stop after 300 ms without calls.
      const idlePool = new SandboxPool({ maxLive: 2, idleMs: 300, maxQueued: 4 });
      const plugin = await loadPlugin(server.url("/a.ts"), { lockFile: false, pool: idlePool });
      try {
        await plugin.table(spec, { targetLength: 4096, seqLen: 512 }, {});
        const end = Date.now() + 5_000;
        while ((await mine(before)).length > 0) {
          assert.ok(Date.now() < end, "an idle sandbox still runs 5 s after its last call");
          await new Promise((r) => setTimeout(r, 100));
        }
        // And it comes back for the next call.
        assert.equal((await plugin.table(spec, { targetLength: 4096, seqLen: 512 }, {})).invFreq.length, 32);
      } finally {
        await plugin.close();
      }
    });
  },
});
