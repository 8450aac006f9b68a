/**
 * Plugin URLs where users type them: `compare --strategies`, `rope --strategy` and `search
 * --strategy` run as subprocesses against a test-owned HTTP server on 127.0.0.1, on the in-repo
 * default model. Each bad case must be one clear line on stderr, exit code 1, and no lock file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pluginSource, type RawRoute, runCli, VALID_TABLE, withServer } from "./_server.ts";
import { TEST_MODEL, TEST_TEXT } from "../eval/_shared.ts";

const EXAMPLES = new URL("../../examples/plugins/", import.meta.url);
const read = (name: string) => Deno.readTextFile(new URL(name, EXAMPLES));
const POWER_LAW = await read("power_law.ts");
const RESONANCE = await read("resonance.ts");
const NTK_ALPHA = await read("ntk_alpha.ts");
const LOCK = "ropekit.plugins.lock.json";
const CONFIG = {
  rope_theta: 10000,
  head_dim: 64,
  hidden_size: 512,
  num_attention_heads: 8,
  max_position_embeddings: 2048,
};

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `compare --json` on the default model with the quick settings, in `dir`; returns the run and its report. */
async function compareJson(dir: string, list: string) {
  const args = ["--strategies", list, "--lengths", "512", "--samples", "2", "--metrics", "ppl", "--json"];
  const r = await runCli("compare", args, { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** A fresh working directory with a config for `rope`. */
async function workDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ropekit_plugin_cli_" });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(CONFIG));
  return dir;
}

async function lockEntries(
  dir: string,
): Promise<Record<string, { sha256: string; name: string }> | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, LOCK))).plugins;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

Deno.test("compare: a plugin URL with a port beside YaRN reports both rows and is recorded in the lock file", async () => {
  await withServer({ "/power_law.ts": POWER_LAW }, async (server) => {
    const dir = await workDir();
    const url = server.url("/power_law.ts");
    const report = await compareJson(dir, `yarn,${url}#exponent=2`);
    const labels = report.strategies.map((s: { label: string }) => s.label);
    assert.deepEqual(labels.slice(-2), ["yarn", `${url}#exponent=2`]);
    const row = report.strategies.at(-1);
    assert.equal(row.name, "power-law");
    assert.deepEqual(row.params, { exponent: 2 });
    const ppl = row.metrics.ppl.cells["512"].value;
    assert.ok(Number.isFinite(ppl) && ppl > 1, JSON.stringify(row.metrics.ppl.cells));
    assert.deepEqual((await lockEntries(dir))?.[url]?.sha256, await sha256(POWER_LAW));
  });
});

Deno.test({
  // stories260K with TinyStories where ../shared has them (the issue's own command), else the in-repo model.
  name: "compare: the issue's command (a URL with a port beside yarn, on the test model) reports both rows",
  async fn() {
    await withServer({ "/example.ts": POWER_LAW }, async (server) => {
      const dir = await workDir();
      const url = server.url("/example.ts");
      const r = await runCli("compare", [
        "--strategies",
        `yarn,${url}`,
        "--model",
        TEST_MODEL,
        "--text",
        TEST_TEXT,
        "--lengths",
        "512",
        "--samples",
        "2",
        "--metrics",
        "ppl",
      ], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.split("\n").map((line) => line.split(/\s+/)[0]);
      assert.ok(rows.includes("yarn") && rows.includes(url), r.stdout);
    });
  },
});

Deno.test("compare: both example plugins by URL, one pinned, in a list with built-ins and name:k=v entries", async () => {
  await withServer({ "/resonance.ts": RESONANCE, "/ntk_alpha.ts": NTK_ALPHA }, async (server) => {
    const dir = await workDir();
    const resonance = `${server.url("/resonance.ts")}#sha256=${await sha256(RESONANCE)},scope=pre-critical`;
    const alpha = `${server.url("/ntk_alpha.ts")}#alpha=4`;
    const report = await compareJson(dir, `pi:factor=2,${resonance},${alpha},ntk`);
    const labels = report.strategies.map((s: { label: string }) => s.label);
    for (const label of ["pi:factor=2", resonance, alpha, "ntk"]) assert.ok(labels.includes(label), label);
    // A pinned URL is checked against its pin and recorded like any other.
    assert.equal((await lockEntries(dir))?.[server.url("/resonance.ts")]?.name, "resonance");
  });
});

Deno.test("rope: the example plugins' tables by URL are what their papers and engines define", async () => {
  await withServer({ "/resonance.ts": RESONANCE, "/ntk_alpha.ts": NTK_ALPHA }, async (server) => {
    const dir = await workDir();
    const rope = async (strategy: string) => {
      const r = await runCli("rope", ["--config", "config.json", "--strategy", strategy, "--json"], {
        cwd: dir,
      });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).inv_freq as number[];
    };
    const d = 64;
    const original = Array.from({ length: d / 2 }, (_, i) => Math.pow(10000, (-2 * i) / d));
    // Hunyuan NTK-alpha: base · α^(d/(d−2)); the fastest pair is kept, the slowest divided by α.
    const alpha = await rope(`${server.url("/ntk_alpha.ts")}#alpha=8`);
    assert.equal(alpha[0], 1);
    assert.ok(Math.abs(alpha[d / 2 - 1] / original[d / 2 - 1] - 1 / 8) < 1e-12, String(alpha[d / 2 - 1]));
    // Resonance RoPE: every wavelength 2π/θ is a whole number of tokens, within half a token of RoPE's.
    const resonance = await rope(server.url("/resonance.ts"));
    resonance.forEach((f, i) => {
      const wavelength = (2 * Math.PI) / f;
      assert.ok(Math.abs(wavelength - Math.round(wavelength)) < 1e-6, `pair ${i}: ${wavelength}`);
      assert.ok(Math.abs(wavelength - (2 * Math.PI) / original[i]) <= 0.5 + 1e-9, `pair ${i}`);
    });
  });
});

Deno.test("search: a plugin URL's declared parameters are searched; its # parameters are held fixed", async () => {
  await withServer({ "/power_law.ts": POWER_LAW }, async (server) => {
    const dir = await workDir();
    const eval_ = new URL("../../models/facts837K/eval.txt", import.meta.url).pathname;
    const model = new URL("../../models/facts837K/model.bin", import.meta.url).pathname;
    const r = await runCli("search", [
      "--strategy",
      `${server.url("/power_law.ts")}#factor=2`,
      "--model",
      model,
      "--text",
      eval_,
      "--target",
      "512",
      "--samples",
      "1",
      "--population",
      "4",
      "--generations",
      "1",
      "--parents",
      "2",
      "--mutations",
      "1",
      "--crossovers",
      "1",
      "--out",
      "result.json",
      "--quiet",
    ], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(await Deno.readTextFile(join(dir, "result.json")));
    assert.equal(result.strategy, "power-law");
    assert.equal(result.params.factor, 2);
    assert.equal(typeof result.params.exponent, "number");
  });
});

Deno.test("finetune: the long windows' RoPE from a plugin URL with parameters", async () => {
  await withServer({ "/ntk_alpha.ts": NTK_ALPHA }, async (server) => {
    const dir = await workDir();
    const model = new URL("../../models/facts837K/model.bin", import.meta.url).pathname;
    const url = server.url("/ntk_alpha.ts");
    const r = await runCli("finetune", [
      "--model",
      model,
      "--strategy",
      `${url}#alpha=2`,
      "--target",
      "512",
      "--steps",
      "1",
      "--batch",
      "1",
      "--out",
      join(dir, "ft.bin"),
    ], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await Deno.stat(join(dir, "ft.bin"))).size > 0);
    assert.equal((await lockEntries(dir))?.[url]?.name, "ntk-alpha");
    const broken = await runCli("finetune", [
      ...["--model", model, "--strategy", server.url("/missing.ts"), "--target", "512", "--steps", "1"],
      ...["--out", join(dir, "ft2.bin")],
    ], { cwd: dir });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr.trim(), /^error: Cannot load plugin ".*\/missing\.ts": HTTP 404 Not Found$/);
  });
});

interface BadCase {
  does: string;
  path: string;
  route: string | number | RawRoute;
  /** The entry to pass (default: the URL). */
  entry?: (url: string) => Promise<string> | string;
  message: RegExp;
}

const OVERSIZED = pluginSource(VALID_TABLE, { moduleCode: `// ${"x".repeat(1024 * 1024)}` });

Deno.test("rope: each bad plugin URL is one clear line, exit 1, and nothing in the lock file", async () => {
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(POWER_LAW, { headers: { "content-type": "application/typescript" } }),
  );
  let otherHits = 0;
  const otherUrl = `http://localhost:${other.addr.port}/power_law.ts`;
  const counting = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    otherHits++;
    return new Response("");
  });
  const cases: BadCase[] = [
    {
      does: "pins a hash that does not match",
      path: "/power_law.ts",
      route: POWER_LAW,
      entry: (url) => `${url}#sha256=${"0".repeat(64)}`,
      message: /sha256 is [0-9a-f]{64}, the URL pins 0{64}$/,
    },
    {
      does: "redirects to another host",
      path: "/moved.ts",
      route: { status: 302, headers: { location: otherUrl } },
      message: new RegExp(`HTTP 302 redirects to ${otherUrl.replace(/[.]/g, "\\.")}; redirects are refused`),
    },
    { does: "is not there", path: "/missing.ts", route: 404, message: /: HTTP 404 Not Found$/ },
    {
      does: "is served as HTML",
      path: "/page.ts",
      route: {
        body: "<!doctype html><p>sign in</p>",
        headers: { "content-type": "text/html; charset=utf-8" },
      },
      message: /: served as text\/html, not JavaScript or TypeScript$/,
    },
    {
      does: "is over 1 MiB",
      path: "/big.ts",
      route: OVERSIZED,
      message: /: the module is larger than 1048576 bytes/,
    },
    {
      does: "imports another module",
      path: "/imports.ts",
      route: pluginSource(VALID_TABLE, {
        moduleCode: `import "http://127.0.0.1:${counting.addr.port}/helper.ts";`,
      }),
      message:
        /denied by the sandbox in loading the module: Requires import access to "127\.0\.0\.1:\d+".*bundle its imports into it \(deno bundle plugin\.ts -o plugin\.js\)/,
    },
    {
      does: "gives parameters without #",
      path: "/power_law.ts",
      route: POWER_LAW,
      entry: (url) => `${url},exponent=2`,
      message: /has no "#"\. Give a plugin's parameters after "#"/,
    },
  ];
  try {
    for (const c of cases) {
      await withServer({ [c.path]: c.route }, async (server) => {
        const dir = await workDir();
        const url = server.url(c.path);
        const entry = c.entry ? await c.entry(url) : url;
        // `rope --strategy` takes one entry; the comma case goes through compare's list.
        const r = c.does === "gives parameters without #"
          ? await runCli("compare", ["--strategies", `yarn,${entry}`, "--lengths", "512"], { cwd: dir })
          : await runCli("rope", ["--config", "config.json", "--strategy", entry], { cwd: dir });
        assert.equal(r.code, 1, `${c.does}: ${r.stdout}${r.stderr}`);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, `${c.does}: ${r.stderr}`);
        assert.match(lines[0], /^error: /);
        assert.match(lines[0], c.message, `${c.does}: ${lines[0].slice(0, 300)}`);
        assert.equal(await lockEntries(dir), undefined, `${c.does}: a lock file was written`);
      });
    }
    assert.equal(otherHits, 0, "the refused import reached the network");
  } finally {
    await other.shutdown();
    await counting.shutdown();
  }
});

Deno.test("rope: a pinned hash that matches loads", async () => {
  await withServer({ "/power_law.ts": POWER_LAW }, async (server) => {
    const dir = await workDir();
    const entry = `${server.url("/power_law.ts")}#sha256=${await sha256(POWER_LAW)},factor=4,exponent=2`;
    const r = await runCli("rope", ["--config", "config.json", "--strategy", entry, "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const invFreq = JSON.parse(r.stdout).inv_freq as number[];
    assert.equal(invFreq[0], 1);
    assert.ok(Math.abs(invFreq.at(-1)! / Math.pow(10000, -62 / 64) - 1 / 4) < 1e-12);
  });
});
