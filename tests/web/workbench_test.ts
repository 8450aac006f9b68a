/**
 * The workbench page walked as a person would, in headless Chromium against a real `cli/serve.ts`
 * process on a free loopback port (one browser, one server restarted once): run a comparison and find
 * it in the history after a reload; run a second and read both side by side with the settings
 * warning; paste a gpt-oss-style YaRN config into the doctor and see `truncate` flagged (the same
 * pitfalls `deno task rope --doctor --json` gives); check an example plugin served by a test-owned
 * loopback server and run it in a comparison; export a GGUF, download it and score it with
 * `deno task nll`; start a search, see two generations arrive, kill -9 the server, start it again and
 * see the search resume and finish, and its result open in a new comparison. axe-core checks each
 * view (no serious or critical violation); each view's screenshot goes to docs/screenshots/. Runs on
 * the in-repo default model (models/facts837K); ignored when chromium cannot run.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { canRunChromium, launchChromium } from "../server/_browser.ts";
import { type ServeProcess, startServe } from "../server/_serve_process.ts";
import { withServer } from "../plugins/_server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = `${ROOT}docs/screenshots`;

/** gpt-oss's rope block (YaRN ×32 from 4096, truncate false) on a small head. */
const GPT_OSS_CONFIG = {
  head_dim: 64,
  hidden_size: 2880,
  num_attention_heads: 64,
  max_position_embeddings: 131072,
  rope_theta: 150000,
  rope_scaling: {
    rope_type: "yarn",
    factor: 32,
    beta_fast: 32,
    beta_slow: 1,
    original_max_position_embeddings: 4096,
    truncate: false,
  },
};

async function deno(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

/** axe-core injected into the page: serious and critical violations of the shown view. */
async function axeViolations(page: Page): Promise<string[]> {
  const axe = (await import("axe-core")).default as unknown as { source: string };
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.addScriptTag({ content: axe.source });
  // A string, so the test's own type check does not need the DOM's types.
  const result = await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })))`) as {
    id: string;
    impact: string;
    nodes: number;
    help: string;
  }[];
  return result.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes): ${v.help}`);
}

async function view(page: Page, name: string, shot: string) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
  await page.screenshot({ path: `${SHOTS}/${shot}.png`, fullPage: true });
}

async function runComparison(page: Page, base: string, samples: string): Promise<string> {
  await page.goto(`${base}/#new`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  await page.fill("#lengths", "512");
  await page.fill("#samples", samples);
  await page.click("#run");
  await page.waitForSelector("#results:not([hidden])", { timeout: 120_000 });
  assert.equal(await page.textContent("#job-status"), "done");
  return (await page.textContent("#job-id"))!;
}

Deno.test({
  name: "workbench: history, side by side, doctor, plugin, export, and a search that survives kill -9",
  ignore: !canRunChromium(),
  // playwright keeps its pipe and timers to the browser process beyond the test's own awaits
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(SHOTS, { recursive: true });
    const source = await Deno.readTextFile(new URL("../../examples/plugins/power_law.ts", import.meta.url));
    await withServer({ "/power_law.ts": source }, async (host) => {
      const dataDir = await Deno.makeTempDir({ prefix: "ropekit_workbench_" });
      const args = ["--allow-plugin-host", `127.0.0.1:${host.port}`];
      let server: ServeProcess = await startServe(dataDir, args);
      const base = server.base;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("dialog", (d) => void d.accept());

        let first = "", second = "";
        await t.step("a comparison appears in the history after a reload, labelled as set", async () => {
          first = await runComparison(page, base, "2");
          const labels = await page.locator("#table table.results tbody tr td:first-child").allTextContents();
          // A plain yarn row is labelled "yarn": no form default leaks into the label.
          assert.ok(labels.includes("yarn"), labels.join(" | "));
          await view(page, "report", "report");
          await page.goto(`${base}/#runs`);
          await page.reload();
          await page.waitForSelector(`#runs-table tr[data-id="${first}"]`, { timeout: 20_000 });
          const row = await page.locator(`#runs-table tr[data-id="${first}"]`).textContent();
          assert.match(row!, /compare.*done.*default, yarn.*512/, row!);
          await view(page, "runs", "runs");
          // The form's draft outlives a reload: what was typed is still there.
          await page.goto(`${base}/#new`);
          await page.reload();
          await page.waitForSelector("body[data-ready=true]");
          assert.equal(await page.inputValue("#lengths"), "512");
          assert.equal(await page.inputValue("#samples"), "2");
          assert.equal(await page.locator("#strategies .strategy-row").count(), 2);
        });

        await t.step("two reports side by side, with the differing setting named", async () => {
          second = await runComparison(page, base, "1");
          await page.goto(`${base}/#runs`);
          await page.waitForSelector(`#runs-table tr[data-id="${second}"]`);
          await page.check(`#runs-table tr[data-id="${first}"] input[type=checkbox]`);
          await page.check(`#runs-table tr[data-id="${second}"] input[type=checkbox]`);
          await page.click("#runs-side-by-side");
          await page.waitForSelector("#reports-table table tbody tr");
          const rows = await page.locator("#reports-table table tbody tr").allTextContents();
          assert.equal(rows.length, 4, rows.join("\n")); // default and yarn of each run
          assert.ok(rows.some((r) => r.startsWith(`run 2 (${second.slice(0, 8)})yarn`)), rows.join("\n"));
          const warning = await page.textContent("#reports-warning");
          assert.match(warning!, /samples: 2 \/ 1/);
          assert.ok((await page.locator("#reports-charts .uplot").count()) >= 2);
          await view(page, "reports", "reports");
        });

        await t.step(
          "the doctor flags truncate on a gpt-oss-style YaRN config, as rope --doctor does",
          async () => {
            await page.goto(`${base}/#doctor`);
            await page.fill("#doctor-config", JSON.stringify(GPT_OSS_CONFIG, null, 2));
            await page.click("#doctor-run");
            await page.waitForSelector("#doctor-out .pitfalls");
            const shown = await page.locator("#doctor-out li[data-pitfall]").evaluateAll((els) =>
              els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.pitfall)
            );
            assert.ok(shown.some((id) => /truncate/.test(id!)), shown.join(","));
            const file = `${dataDir}/gpt_oss.json`;
            await Deno.writeTextFile(file, JSON.stringify(GPT_OSS_CONFIG));
            const cli = await deno([
              "run",
              "--allow-read",
              "--allow-net",
              "--allow-run",
              "cli/rope.ts",
              "--config",
              file,
              "--doctor",
              "--json",
            ]);
            assert.equal(cli.code, 0, cli.err);
            assert.deepEqual(shown, JSON.parse(cli.out).pitfalls.map((p: { id: string }) => p.id));
            const engines = await page.locator("#doctor-out table.doctor tbody th").allTextContents();
            assert.deepEqual(engines, ["transformers", "vllm", "llama.cpp", "ropekit"]);
            assert.equal(await page.locator("#doctor-out .uplot").count(), 1);
            await view(page, "doctor", "doctor");
          },
        );

        await t.step("an example plugin by URL: its check, then a comparison with it", async () => {
          const url = host.url("/power_law.ts");
          await page.goto(`${base}/#plugins`);
          await page.fill("#plugin-url", url);
          await page.click("#plugin-check");
          await page.waitForSelector("#plugin-verdict", { timeout: 60_000 });
          const results = await page.locator("#plugin-out table tbody tr").allTextContents();
          assert.ok(results.length >= 5, results.join("\n"));
          assert.ok(results.every((r) => /pass/.test(r)), results.join("\n"));
          await view(page, "plugins", "plugins");
          await page.click("#plugin-use");
          await page.waitForSelector("#view-new:not([hidden])");
          assert.equal(await page.inputValue("#strategies .strategy-row:nth-child(2) .plugin-url"), url);
          await page.fill("#lengths", "512");
          await page.fill("#samples", "1");
          await page.click("#run");
          await page.waitForSelector("#results:not([hidden])", { timeout: 120_000 });
          const labels = await page.locator("#table table.results tbody tr td:first-child").allTextContents();
          assert.ok(labels.includes(url), labels.join(" | "));
        });

        await t.step("export a GGUF, download it, and deno task nll loads it", async () => {
          await page.goto(`${base}/#export`);
          await page.fill("#export-target", "1024");
          await page.click("#export-run");
          const link = page.locator("#export-download");
          await link.waitFor({ timeout: 60_000 });
          await view(page, "export", "export");
          const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
          const gguf = `${dataDir}/downloaded.gguf`;
          await download.saveAs(gguf);
          const nll = await deno([
            "run",
            "--allow-ffi=.build",
            "--allow-read",
            "--allow-env",
            "--allow-write",
            "--allow-net",
            "--allow-run",
            "cli/nll.ts",
            "--model",
            gguf,
            "--text",
            "models/facts837K/eval.txt",
            "--length",
            "512",
            "--max-windows",
            "1",
            "--json",
          ]);
          assert.equal(nll.code, 0, nll.err);
          const scored = JSON.parse(nll.out);
          assert.equal(scored.windows[0].tokens, 511);
          assert.ok(Number.isFinite(scored.windows[0].perplexity), nll.out.slice(0, 400));
          // The downloaded file's RoPE keys, read by @huggingface/gguf (not by our writer): YaRN ×4 of 256.
          const { gguf: readGguf } = await import("@huggingface/gguf");
          const { metadata } = await readGguf(gguf, { allowLocalFile: true });
          const meta = metadata as Record<string, unknown>;
          assert.equal(meta["llama.rope.scaling.type"], "yarn");
          assert.equal(meta["llama.rope.scaling.factor"], 4);
        });

        await t.step(
          "a search shows its generations, survives kill -9 of the server, and finishes",
          async () => {
            await page.goto(`${base}/#search`);
            await page.fill("#search-target", "2048");
            await page.fill("#search-population", "6");
            await page.fill("#search-generations", "5");
            await page.fill("#search-samples", "2");
            await page.click("#search-run");
            await page.waitForSelector("#search-generations-table tbody tr:nth-child(2)", {
              timeout: 120_000,
            });
            const id = (await page.textContent("#search-id"))!;
            assert.match((await page.textContent("#search-line"))!, /gen \d+\/5 .*eta/);
            assert.notEqual(
              await page.textContent("#search-status"),
              "done",
              "the search ended before the kill",
            );
            await server.kill();
            await page.waitForSelector("#connection:not([hidden])", { timeout: 10_000 });
            await page.screenshot({ path: `${SHOTS}/search_reconnecting.png`, fullPage: true });
            server = await startServe(dataDir, args, {}, Number(new URL(base).port));
            await page.waitForSelector("#connection[hidden]", { state: "attached", timeout: 20_000 });
            await page.waitForFunction(
              `document.getElementById("search-status")?.textContent?.startsWith("done")`,
              undefined,
              { timeout: 180_000 },
            );
            assert.match((await page.textContent("#search-status"))!, /resumed 1×/);
            const record = await (await fetch(`${base}/api/searches/${id}`)).json();
            assert.equal(record.status, "done");
            assert.equal(record.restarts, 1);
            // Every generation 0..5 of the one seed is in the table, with its spread.
            const gens = await page.locator("#search-generations-table tbody tr").count();
            assert.equal(gens, 6);
            await view(page, "search", "search");
            await page.click("#search-use");
            await page.waitForSelector("#view-new:not([hidden])");
            const row = page.locator("#strategies .strategy-row").nth(1);
            assert.equal(await row.locator(".strategy-name").inputValue(), "longrope2");
            assert.equal(await row.getAttribute("data-label"), `longrope2 (search ${id.slice(0, 8)})`);
            await view(page, "new comparison", "new_comparison");
          },
        );

        await t.step("the runs list filters by kind and deletes an ended comparison", async () => {
          await page.goto(`${base}/#runs`);
          await page.waitForSelector(`#runs-table tr[data-id="${second}"]`);
          await page.selectOption("#runs-kind", "search");
          const kinds = await page.locator("#runs-table tbody tr").evaluateAll((rows) =>
            rows.map((r) => (r as unknown as { dataset: Record<string, string> }).dataset.kind)
          );
          assert.deepEqual(kinds, ["search"]);
          await page.selectOption("#runs-kind", "");
          await page.click(`#runs-table tr[data-id="${second}"] button:has-text("Delete")`);
          await page.waitForSelector(`#runs-table tr[data-id="${second}"]`, { state: "detached" });
          assert.equal((await fetch(`${base}/api/jobs/${second}/report.json`)).status, 404);
          const runs = await (await fetch(`${base}/api/runs`)).json();
          assert.ok(!runs.some((r: { id: string }) => r.id === second));
          assert.ok(runs.some((r: { id: string }) => r.id === first));
        });

        await t.step("a narrow window: nothing but the tables scrolls sideways", async () => {
          await page.setViewportSize({ width: 420, height: 900 });
          for (const v of ["runs", "new", "doctor"]) {
            await page.goto(`${base}/#${v}`);
            await page.waitForTimeout(200);
            const overflow = await page.evaluate(
              "document.documentElement.scrollWidth - innerWidth",
            ) as number;
            assert.ok(overflow <= 1, `#${v} is ${overflow}px wider than a 420px window`);
          }
          await page.goto(`${base}/#runs`);
          await page.screenshot({ path: `${SHOTS}/runs_narrow.png`, fullPage: true });
          // By keyboard: a nav link with Enter shows its view and moves focus to the view's heading.
          await page.focus('nav a[data-view="doctor"]');
          await page.keyboard.press("Enter");
          await page.waitForSelector("#view-doctor:not([hidden])");
          assert.equal(await page.evaluate("document.activeElement.id"), "doctor-title");
          await page.keyboard.press("Tab");
          assert.equal(await page.evaluate("document.activeElement.id"), "doctor-config");
        });

        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await server.kill();
      }
    });
  },
});
