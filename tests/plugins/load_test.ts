import assert from "node:assert/strict";
import { buildTable, builtinRegistry, makeSpec } from "../../mod.ts";
import { isPluginSpecifier, loadPlugin, type PluginError, registerPlugin } from "../../plugins/mod.ts";
import { strategy as powerLaw } from "../../examples/plugins/power_law.ts";
import { pluginSource, VALID_TABLE, withServer } from "./_server.ts";

const examplePath = new URL("../../examples/plugins/power_law.ts", import.meta.url);
const exampleSource = await Deno.readTextFile(examplePath);
const spec = makeSpec({ theta: 10000, headDim: 64, originalContext: 512 });

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function tempLock(): Promise<string> {
  return `${await Deno.makeTempDir()}/ropekit.plugins.lock.json`;
}

Deno.test("the example plugin loads over HTTP, conforms and computes what it computes in-process", async () => {
  await withServer({ "/power_law.ts": exampleSource }, async (server) => {
    const lockFile = await tempLock();
    const plugin = await loadPlugin(server.url("/power_law.ts"), { lockFile });
    try {
      assert.equal(plugin.name, "power-law");
      assert.deepEqual(plugin.params, powerLaw.params);
      const params = { exponent: 2 };
      const viaSandbox = await buildTable(plugin, spec, { targetLength: 4096 }, params);
      const inProcess = await buildTable(powerLaw, spec, { targetLength: 4096 }, params);
      assert.deepEqual(viaSandbox, inProcess);
      const lock = JSON.parse(await Deno.readTextFile(lockFile));
      const entry = lock.plugins[server.url("/power_law.ts")];
      assert.equal(entry.sha256, await sha256(exampleSource));
      assert.equal(entry.name, "power-law");
      assert.equal(entry.version, "1.0.0");
      assert.ok(!Number.isNaN(Date.parse(entry.loadedAt)));
    } finally {
      await plugin.close();
    }
  });
});

Deno.test("a path and a file: URL load the same plugin", async () => {
  for (const specifier of ["examples/plugins/power_law.ts", examplePath.href]) {
    const plugin = await loadPlugin(specifier, { lockFile: false });
    assert.equal(plugin.url, examplePath.href);
    await plugin.close();
  }
});

Deno.test("a pinned hash is checked against the fetched bytes", async () => {
  await withServer({ "/power_law.ts": exampleSource }, async (server) => {
    const good = await loadPlugin(`${server.url("/power_law.ts")}#sha256=${await sha256(exampleSource)}`, {
      lockFile: false,
    });
    await good.close();
    await assert.rejects(
      loadPlugin(`${server.url("/power_law.ts")}#sha256=${"0".repeat(64)}`, { lockFile: false }),
      (e: PluginError) => e.code === "PLUGIN_INTEGRITY" && /the URL pins 0{64}/.test(e.message),
    );
  });
});

Deno.test("an unpinned plugin whose bytes changed since the lock file recorded them is refused", async () => {
  await withServer({ "/p.ts": pluginSource(VALID_TABLE) }, async (server) => {
    const lockFile = await tempLock();
    await (await loadPlugin(server.url("/p.ts"), { lockFile })).close();
    server.set("/p.ts", pluginSource(VALID_TABLE) + "\n// changed");
    await assert.rejects(
      loadPlugin(server.url("/p.ts"), { lockFile }),
      (e: PluginError) => e.code === "PLUGIN_INTEGRITY" && /the module changed/.test(e.message),
    );
  });
});

Deno.test("registerPlugin adds the proxy to a registry; built-in names and duplicates are refused", async () => {
  await withServer({
    "/p.ts": pluginSource(VALID_TABLE, { name: "my-rope" }),
    "/yarn.ts": pluginSource(VALID_TABLE, { name: "yarn" }),
    "/linear.ts": pluginSource(VALID_TABLE, { name: "linear" }),
  }, async (server) => {
    const registry = builtinRegistry();
    const plugin = await registerPlugin(registry, server.url("/p.ts"), { lockFile: false });
    try {
      const table = await buildTable(registry.get("my-rope"), spec, { targetLength: 1024 });
      assert.equal(table.invFreq.length, 32);
      await assert.rejects(
        registerPlugin(registry, server.url("/p.ts"), { lockFile: false }),
        (e: PluginError) =>
          e.code === "PLUGIN_NAME_TAKEN" && /"my-rope" is already registered/.test(e.message),
      );
    } finally {
      await plugin.close();
    }
    for (const [path, name] of [["/yarn.ts", "yarn"], ["/linear.ts", "linear"]]) {
      await assert.rejects(
        loadPlugin(server.url(path), { lockFile: false }),
        (e: PluginError) =>
          e.code === "PLUGIN_NAME_TAKEN" &&
          e.message === `Cannot load plugin "${server.url(path)}": name "${name}" is a built-in strategy's`,
      );
    }
  });
});

Deno.test("a call past its deadline kills the sandbox; the next call starts a fresh one", async () => {
  const source = pluginSource(`if (ctx.targetLength === 12345) for (;;) {} ${VALID_TABLE}`);
  await withServer({ "/p.ts": source }, async (server) => {
    const plugin = await loadPlugin(server.url("/p.ts"), { lockFile: false, timeoutMs: 1000 });
    try {
      await assert.rejects(
        plugin.table(spec, { targetLength: 12345 }, {}),
        (e: PluginError) =>
          e.code === "PLUGIN_TIMEOUT" && /table\(\) ran past the 1000 ms deadline/.test(e.message),
      );
      const table = await plugin.table(spec, { targetLength: 1024 }, {});
      assert.equal(table.invFreq.length, 32);
    } finally {
      await plugin.close();
    }
  });
});

Deno.test("bytes a plugin writes to stdout itself are not mistaken for replies", async () => {
  const forged = `Deno.stdout.writeSync(new TextEncoder().encode('{"id":0,"ok":true,"value":{}}\\n'));`;
  await withServer(
    { "/p.ts": pluginSource(forged + VALID_TABLE, { moduleCode: forged }) },
    async (server) => {
      const plugin = await loadPlugin(server.url("/p.ts"), { lockFile: false });
      assert.equal((await plugin.table(spec, {}, {})).invFreq.length, 32);
      await plugin.close();
    },
  );
});

Deno.test("isPluginSpecifier tells URLs and paths from strategy names", () => {
  for (const s of ["https://example.org/my_rope.ts", "file:///x.ts", "./x.ts", "x.js", "dir/x"]) {
    assert.ok(isPluginSpecifier(s), s);
  }
  for (const s of ["yarn", "dynamic-ntk", "linear"]) assert.ok(!isPluginSpecifier(s), s);
});
