/**
 * One refusal per way a plugin can be broken or hostile: each must end in a PluginError with the
 * right code and a message naming the plugin — never a crash, a hang or a granted capability.
 */
import assert from "node:assert/strict";
import { loadPlugin, type PluginErrorCode, type PluginOptions } from "../../plugins/mod.ts";
import { pluginSource, VALID_TABLE, withServer } from "./_server.ts";
import { CASES } from "./_cases.ts";

for (const c of CASES) {
  Deno.test(`a plugin that ${c.does} is refused with ${c.code}`, async () => {
    await withServer({ "/plugin.ts": c.source }, async (server) => {
      const url = server.url("/plugin.ts");
      await assert.rejects(loadPlugin(url, { lockFile: false, ...c.options }), (e: Error) => {
        assert.equal((e as { code?: string }).code, c.code, e.message);
        assert.ok(e.message.startsWith(`Cannot load plugin "${url}": `), e.message);
        assert.match(e.message, c.message);
        return true;
      });
    });
  });
}

Deno.test("a plugin importing from its own origin is refused too: a plugin is one module", async () => {
  await withServer({
    "/plugin.ts": pluginSource(VALID_TABLE, { moduleCode: 'import "./helper.ts";' }),
    "/helper.ts": "export const x = 1;",
  }, async (server) => {
    await assert.rejects(
      loadPlugin(server.url("/plugin.ts"), { lockFile: false }),
      (e: Error & { code?: string }) => e.code === "PLUGIN_IMPORT" && /relative URL/.test(e.message),
    );
  });
});

Deno.test("unreachable hosts, other schemes, bad pins and oversized modules are refused before any sandbox", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const cases: [string, PluginErrorCode, RegExp, PluginOptions?][] = [
    [`http://127.0.0.1:${port}/p.ts`, "PLUGIN_UNREACHABLE", /Connection refused|error sending request/i],
    ["ftp://example.org/p.ts", "PLUGIN_SPECIFIER", /unsupported scheme "ftp:"/],
    ["./p.ts#sha256=abc", "PLUGIN_SPECIFIER", /64 hex digits/],
    ["./no/such/plugin.ts", "PLUGIN_UNREACHABLE", /No such file/],
    ["examples/plugins/power_law.ts", "PLUGIN_TOO_LARGE", /larger than 100 bytes/, { maxSourceBytes: 100 }],
  ];
  for (const [specifier, code, message, options] of cases) {
    await assert.rejects(
      loadPlugin(specifier, { lockFile: false, ...options }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, code, e.message);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});
