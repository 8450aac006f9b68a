/**
 * The web form's "plugin URL…" row end to end in headless Chromium: the page sends the URL as a
 * strategy entry, the server loads it on demand from its allowlisted loopback host, and the
 * results table shows the plugin's row beside YaRN. Runs on the in-repo default model; skips
 * when chromium is absent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPlugin } from "../../plugins/mod.ts";
import { buildWebAssets } from "../../server/web_assets.ts";
import { listen, testContext } from "../server/_server.ts";
import { canRunChromium, launchChromium } from "../server/_browser.ts";
import { withServer } from "../plugins/_server.ts";

Deno.test({
  name: "web form: a plugin URL row runs beside YaRN through the server's on-demand loading",
  ignore: !canRunChromium(),
  // playwright keeps its pipe and timers to the browser process beyond the test's own awaits
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const source = await Deno.readTextFile(new URL("../../examples/plugins/power_law.ts", import.meta.url));
    await withServer({ "/power_law.ts": source }, async (host) => {
      const dataDir = await Deno.makeTempDir();
      const ctx = await testContext({
        dataDir,
        models: [new URL("../../models/facts837K/model.bin", import.meta.url).pathname],
        texts: [new URL("../../models/facts837K/eval.txt", import.meta.url).pathname],
        pluginHosts: [`127.0.0.1:${host.port}`],
        loadPlugin: (url) => loadPlugin(url, { lockFile: join(dataDir, "plugins.lock.json") }),
        web: await buildWebAssets(),
      });
      const server = listen(ctx);
      const browser = await launchChromium();
      const url = `${host.url("/power_law.ts")}#exponent=2`;
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(server.base + "/#new");
        await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
        await page.click("#add-strategy");
        const row = page.locator("#strategies .strategy-row").nth(2);
        await row.locator(".strategy-name").selectOption({ label: "plugin URL…" });
        await row.locator(".plugin-url").fill(url);
        await page.fill("#lengths", "512");
        await page.fill("#samples", "1");
        await page.click("#run");
        await page.waitForSelector("#results:not([hidden])", { timeout: 90_000 });
        assert.equal(await page.textContent("#job-status"), "done");
        const rows = await page.locator("#table tbody tr").allTextContents();
        assert.ok(rows.some((r) => r.startsWith("yarn")), rows.join("\n"));
        assert.ok(rows.some((r) => r.startsWith(url)), rows.join("\n"));
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        for (const s of ctx.registry.list()) await (s as { close?: () => Promise<void> }).close?.();
        await server.close();
      }
    });
  },
});
