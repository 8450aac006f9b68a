import assert from "node:assert/strict";
import { TEST_MODEL, TEST_TEXT } from "../eval/_shared.ts";

const cli = new URL("../../cli/compare.ts", import.meta.url).pathname;

async function run(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { ROPEKIT_CACHE: await Deno.makeTempDir() },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "compare: end to end on the test model — table, JSON, report folder with charts",
  async fn() {
    const out = await Deno.makeTempDir();
    const r = await run([
      "--strategies",
      "default,yarn:beta_fast=16,longrope2",
      "--model",
      TEST_MODEL,
      "--text",
      TEST_TEXT,
      "--lengths",
      "600",
      "--samples",
      "2",
      "--depths",
      "0",
      "--metrics",
      "ppl,needle,passkey,short",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.strategies.length, 3);
    assert.deepEqual(report.strategies.map((s: { label: string }) => s.label), [
      "default",
      "yarn:beta_fast=16",
      "longrope2",
    ]);
    assert.equal(report.strategies[1].params.beta_fast, 16);
    for (const s of report.strategies) {
      assert.ok(s.ppl["600"].ppl > 1);
      assert.ok(Number.isFinite(s.needle.byLength["600"].ppl));
      assert.ok(s.passkey.byLength["600"].n === 2);
      assert.ok(s.short_context.retention > 0);
    }
    assert.equal(report.strategies[2].short_context.identical, true); // LongRoPE2 within L0 = original RoPE
    assert.ok(report.baseline["600"].ppl > 1);
    const files = [...Deno.readDirSync(out)].map((f) => f.name).sort();
    assert.deepEqual(files, [
      "factors.svg",
      "needle_by_depth.svg",
      "ppl_by_position_600.svg",
      "report.html",
      "report.json",
      "report.txt",
    ]);
    const html = await Deno.readTextFile(`${out}/report.html`);
    assert.match(html, /<svg/);
    assert.match(html, /yarn:beta_fast=16/);
    const text = await Deno.readTextFile(`${out}/report.txt`);
    assert.match(text, /L0 windows \(original\)/);
    assert.match(r.stderr, /ppl longrope2 @600/); // progress on stderr
  },
});

Deno.test({
  name: "compare: bad input gives one clear line and a non-zero exit",
  async fn() {
    const base = ["--model", TEST_MODEL, "--text", TEST_TEXT];
    const cases: [string[], RegExp][] = [
      [["--strategies", "warp", ...base], /Unknown strategy "warp"/],
      [["--strategies", "yarn", "--lengths", "0", ...base], /--lengths must be a positive integer, got "0"/],
      [["--strategies", "yarn", "--lengths", "1.5", ...base], /--lengths must be a positive integer/],
      [["--strategies", "yarn", "--lengths=-4", ...base], /--lengths must be a positive integer/],
      [["--strategies", "yarn", "--lengths", "4000000000", ...base], /GiB of activations/],
      [["--strategies", "yarn", "--metrics", "ppl,vibes", ...base], /unknown metric "vibes"/],
      [["--strategies", "yarn", "--model", "/nonexistent.bin", "--text", TEST_TEXT], /cannot read/],
      [["--strategies", "yarn", "--model", TEST_TEXT, "--text", TEST_TEXT], /model|checkpoint|header/i],
      [["--strategies", "yarn", "--text", "/nonexistent.txt", "--model", TEST_MODEL], /cannot read text/],
      [["--lengths", "512", ...base], /--strategies LIST is required/],
    ];
    for (const [args, pattern] of cases) {
      const r = await run(args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, pattern, args.join(" "));
      assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    }
  },
});

Deno.test({
  name: "compare: a plugin path runs sandboxed beside built-ins; a broken plugin is one clear error",
  async fn() {
    const plugin = new URL("../../examples/plugins/power_law.ts", import.meta.url).pathname;
    const base = [
      "--model",
      TEST_MODEL,
      "--text",
      TEST_TEXT,
      "--lengths",
      "600",
      "--samples",
      "1",
      "--metrics",
      "ppl",
    ];
    const r = await run(["--strategies", `yarn,${plugin}`, "--json", ...base]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.strategies[1].name, "power-law");
    assert.equal(report.strategies[1].label, plugin);
    assert.ok(report.strategies[1].ppl["600"].ppl > 1);
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/bad.ts`, "export const nothing = 1;\n");
    const bad = await run(["--strategies", `${dir}/bad.ts`, ...base]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Cannot load plugin .*missing export "strategy"/);
  },
});

Deno.test("compare: without --model or --text, offline, it runs ropekit's committed default model on its eval.txt", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "--strategies", "default,yarn", "--lengths", "512", "--samples", "4", "--json"],
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    // A proxy nobody listens on: any download would fail, as it does offline.
    env: {
      ROPEKIT_CACHE: await Deno.makeTempDir(),
      HTTPS_PROXY: "http://127.0.0.1:9",
      PATH: Deno.env.get("PATH") ?? "",
    },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.match(report.model.name, /models\/facts837K\/model\.bin$/);
  assert.match(report.corpus.name, /eval\.txt/);
  assert.equal(report.model.spec.originalContext, 256);
  console.log(report.validity.message);
  assert.equal(report.validity.valid, true, "the default model uses the story-pet needle within its window");
  const [plain, yarn] = report.strategies;
  assert.ok(
    yarn.needle.byLength["512"].mean < plain.needle.byLength["512"].mean,
    "YaRN beats no scaling at 2×L0",
  );
});
