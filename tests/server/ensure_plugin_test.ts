/**
 * `ensurePlugin`: one load per module whatever its fragment, so a plugin loaded pinned through
 * POST /api/plugins serves a later `URL#k=v` compare entry; a later pin that does not match is refused.
 */
import assert from "node:assert/strict";
import { ensurePlugin, type PluginHost } from "../../server/plugins.ts";
import { ValidationError } from "../../server/schema.ts";
import type { Strategy } from "../../strategies/types.ts";

const SHA = "a".repeat(64);

function host(): PluginHost & { loads: string[]; registered: string[] } {
  const loads: string[] = [], registered: string[] = [];
  return {
    loads,
    registered,
    pluginHosts: ["127.0.0.1:8931"],
    registry: { register: (s: Strategy) => void registered.push(s.name) },
    loadPlugin: (url: string) => {
      loads.push(url);
      return Promise.resolve({ name: "power-law", sha256: SHA } as unknown as Strategy);
    },
  };
}

Deno.test("ensurePlugin: a pinned load and a later entry with parameters share one plugin", async () => {
  const h = host();
  const base = "http://127.0.0.1:8931/power_law.ts";
  const a = await ensurePlugin(h, `${base}#sha256=${SHA}`);
  const b = await ensurePlugin(h, base);
  assert.equal(a, b);
  assert.deepEqual(h.loads, [`${base}#sha256=${SHA}`]);
  assert.deepEqual(h.registered, ["power-law"]);
  // The same pin again is fine; another pin is a 400 naming the field, and nothing is loaded again.
  assert.equal(await ensurePlugin(h, `${base}#sha256=${SHA}`), a);
  await assert.rejects(
    ensurePlugin(h, `${base}#sha256=${"b".repeat(64)}`, "strategies[1]"),
    (e) => e instanceof ValidationError && /the URL pins b{64}/.test(e.message),
  );
  assert.equal(h.loads.length, 1);
});
