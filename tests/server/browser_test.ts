/**
 * The web page end to end in headless Chromium (Debian `chromium`): pick strategies, run a small
 * comparison, watch it finish over SSE, and find the table, three charts and the download links.
 * Leaves a screenshot in the temp dir (path printed). Ignored when chromium cannot run.
 */
import assert from "node:assert/strict";
import { buildWebAssets } from "../../server/web_assets.ts";
import { listen, testContext } from "./_server.ts";

const CHROMIUM = "/usr/bin/chromium";

function canRunChromium(): boolean {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    console.log(`SKIP: ${CHROMIUM} is absent (apt-get install -y chromium); the browser test needs it`);
    return false;
  }
  // playwright-core reads these when it is imported.
  for (const kind of ["osRelease", "homedir"] as const) {
    if (Deno.permissions.querySync({ name: "sys", kind }).state !== "granted") {
      console.log(`SKIP: the browser test needs --allow-sys=osRelease,homedir (playwright-core)`);
      return false;
    }
  }
  return true;
}

Deno.test({
  name: "browser: the page runs a small comparison and draws its table and charts",
  ignore: !canRunChromium(),
  // playwright keeps its pipe and timers to the browser process beyond the test's own awaits
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { chromium } = await import("playwright-core");
    const ctx = await testContext({ web: await buildWebAssets() });
    const server = listen(ctx);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      timeout: 30_000,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1600 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(server.base + "/");
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      assert.equal(await page.locator(".strategy-row").count(), 2); // default and yarn
      await page.fill("#lengths", "600");
      await page.fill("#samples", "1");
      await page.click("#run");
      await page.waitForSelector("#results:not([hidden])", { timeout: 90_000 });
      assert.equal(await page.textContent("#job-status"), "done");
      const rows = await page.locator("#table tbody tr").allTextContents();
      assert.equal(rows.length, 3); // the L0 baseline, default, yarn
      assert.match(rows[2], /^yarn/);
      assert.equal(await page.locator("#charts .uplot").count(), 2); // ppl@600 and factors (ppl only: no needle)
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
