/**
 * The web page end to end in headless Chromium (Debian `chromium`): pick strategies, run a small
 * comparison, watch it finish over SSE, and find the table, three charts and the download links.
 * Leaves a screenshot in the temp dir (path printed). Ignored when chromium cannot run.
 */
import assert from "node:assert/strict";
import { buildWebAssets } from "../../server/web_assets.ts";
import { listen, testContext } from "./_server.ts";
import { canRunChromium, launchChromium } from "./_browser.ts";

Deno.test({
  name: "browser: the page runs a small comparison and draws its table and charts",
  ignore: !canRunChromium(),
  // playwright keeps its pipe and timers to the browser process beyond the test's own awaits
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const ctx = await testContext({ web: await buildWebAssets() });
    const server = listen(ctx);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1600 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.base + "/#new");
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      assert.equal(await page.locator("#strategies .strategy-row").count(), 2); // default and yarn
      await page.fill("#lengths", "600");
      await page.fill("#samples", "2");
      await page.click("#run");
      await page.waitForSelector("#results:not([hidden])", { timeout: 90_000 });
      assert.equal(await page.textContent("#job-status"), "done");
      const rows = await page.locator("#table table.results tbody tr").allTextContents();
      assert.equal(rows.length, 3); // the L0 baseline, default, yarn
      assert.match(rows[2], /^yarn/);
      assert.match(rows[2], /±/); // value ± standard error
      // The paired comparison of the two (2 windows each) with its interval.
      const comparisons = await page.locator("#table table.comparisons tbody tr").allTextContents();
      assert.equal(comparisons.length, 1);
      assert.match(comparisons[0], /ppl@600.*−.*\[.*,.*\].*significant/);
      // ppl@600, the paired differences of ppl, and factors (ppl only: no needle)
      assert.equal(await page.locator("#charts .uplot").count(), 3);
      assert.match((await page.getAttribute("#download-json", "href"))!, /\/report\.json$/);
      const shot = `${await Deno.makeTempDir({ prefix: "ropekit_browser_" })}/page.png`;
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
