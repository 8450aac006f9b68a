/**
 * The web form's "config (the model's own)" row end to end in headless Chromium: on a model whose
 * config.json declares YaRN (facts837K exported by ropekit), the page sends `config`, the server's worker
 * resolves it on the loaded model, and the results table shows its row beside the original RoPE. Skips
 * when chromium is absent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildWebAssets } from "../../server/web_assets.ts";
import { exportModel } from "../../export/export_model.ts";
import { DEFAULT_MODEL } from "../../compare/defaults.ts";
import { listen, testContext } from "../server/_server.ts";
import { canRunChromium, launchChromium } from "../server/_browser.ts";

Deno.test({
  name: "web form: a config row runs the model's declared scaling through the server",
  ignore: !canRunChromium(),
  // playwright keeps its pipe and timers to the browser process beyond the test's own awaits
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const model = join(dir, "yarn4");
    await exportModel({
      model: DEFAULT_MODEL,
      strategy: "yarn:factor=4",
      targetLength: 1024,
      to: "hf",
      out: model,
    });
    const ctx = await testContext({
      dataDir: join(dir, "data"),
      models: [model],
      texts: [new URL("../../models/facts837K/eval.txt", import.meta.url).pathname],
      web: await buildWebAssets(),
    });
    const server = listen(ctx);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.base + "/#new");
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      // The first row (default) stays; the second becomes config.
      await page.locator("#strategies .strategy-row").nth(1).locator(".strategy-name").selectOption({
        value: "config",
      });
      assert.equal(await page.locator("#strategies .strategy-row").nth(1).locator("[data-param]").count(), 0);
      await page.fill("#lengths", "512");
      await page.fill("#samples", "1");
      await page.click("#run");
      await page.waitForSelector("#results:not([hidden])", { timeout: 90_000 });
      assert.equal(await page.textContent("#job-status"), "done");
      const rows = await page.locator("#table tbody tr").allTextContents();
      assert.ok(rows.some((r) => r.startsWith("config")), rows.join("\n"));
      assert.ok(rows.some((r) => r.startsWith("default")), rows.join("\n"));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
