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
      "ppl,needle,passkey,pet-choice,short",
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
    const L0 = String(report.model.spec.originalContext); // 512 for stories260K, 256 for facts837K
    for (const s of report.strategies) {
      assert.ok(s.metrics.ppl.cells["600"].value > 1);
      assert.ok(Number.isFinite(s.metrics.needle.cells["600"].value));
      assert.equal(s.metrics.passkey.cells["600"].n, 2);
      assert.equal(s.metrics["pet-choice"].cells["600"].n, 2);
      assert.ok(s.metrics.short.cells[L0].value > 0);
    }
    // LongRoPE2 within L0 = original RoPE: nothing lost, exactly.
    assert.equal(report.strategies[2].metrics.short.detail.identical, true);
    assert.equal(report.strategies[2].metrics.short.cells[L0].value, 1);
    assert.ok(report.metrics[0].baseline.values["600"] > 1);
    const files = [...Deno.readDirSync(out)].map((f) => f.name).sort();
    assert.deepEqual(files, [
      "differences_needle.svg",
      "differences_passkey.svg",
      "differences_pet-choice.svg",
      "differences_ppl.svg",
      "differences_short.svg",
      "factors.svg",
      "needle_by_depth_600.svg",
      "passkey_by_depth_600.svg",
      "pet-choice_by_depth_600.svg",
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
      [
        ["--strategies", "yarn,pi", "--reference", "ntk", ...base],
        /reference: no strategy is labelled "ntk"/,
      ],
      [["--strategies", "yarn", "--digits", "0", ...base], /--digits must be a positive integer/],
      [["--strategies", "yarn", "--digits", "16", ...base], /--digits must be at most 15/],
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
    assert.ok(report.strategies[1].metrics.ppl.cells["600"].value > 1);
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
  const needle = report.metrics.find((m: { id: string }) => m.id === "needle");
  console.log(needle.note);
  // The magic number is the default template, but facts837K never learned magic numbers: the validity check
  // says so and the metric falls back to story-pet, which the model does use within its window — and says why.
  assert.match(needle.note, /template "story-pet", because "magic-number" \(7 digits\) is not valid/);
  assert.match(needle.note, /story-pet: valid/);
  assert.match(stderr, /needle: template "story-pet", because/);
  assert.equal(needle.detail.template.name, "story-pet");
  assert.equal(needle.detail.validity.valid, true);
  const [plain, yarn] = report.strategies;
  assert.ok(
    yarn.metrics.needle.cells["512"].mean < plain.metrics.needle.cells["512"].mean,
    "YaRN beats no scaling at 2×L0",
  );
});

interface Comparison {
  metric: string;
  length: number;
  a: string;
  b: string;
  difference: number;
  ci95: [number, number];
  significant: boolean;
}

Deno.test("compare --strategies yarn,pi --json: paired comparisons, a large difference significant", async () => {
  const r = await run(["--strategies", "yarn,pi", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const comparisons = report.comparisons as Comparison[];
  assert.equal(report.statistics.method, "expanded paired percentile bootstrap over documents");
  // Defaults: ppl, needle, short at 512 and 1024 (short at L0 = 256): one comparison per column.
  assert.deepEqual(
    comparisons.map((c) => `${c.metric}@${c.length}`),
    ["ppl@512", "ppl@1024", "needle@512", "needle@1024", "short@256"],
  );
  for (const c of comparisons) {
    assert.deepEqual(Object.keys(c).sort(), [
      "a",
      "b",
      "ci95",
      "column",
      "difference",
      "length",
      "metric",
      "n",
      "significant",
      "stderr",
    ]);
    assert.ok([c.a, c.b].includes("yarn") && [c.a, c.b].includes("pi"));
    assert.equal(c.ci95.length, 2);
    assert.ok(c.ci95[0] <= c.difference && c.difference <= c.ci95[1], JSON.stringify(c));
    assert.equal(typeof c.significant, "boolean");
  }
  // PI at 4×L0 is far worse than YaRN (≈ 1.2 nats/token per window, against a standard error ≈ 0.03).
  const ppl1024 = comparisons.find((c) => c.metric === "ppl" && c.length === 1024)!;
  assert.deepEqual([ppl1024.a, ppl1024.b, ppl1024.significant], ["pi", "yarn", true]);
  assert.ok(ppl1024.ci95[0] > 0.5, JSON.stringify(ppl1024));
  const verdict = report.verdicts.find((v: { metric: string; length: number }) =>
    v.metric === "ppl" && v.length === 1024
  );
  assert.equal(verdict.best, "yarn");
});

Deno.test("compare: two labels of one strategy and parameters are never significantly different", async () => {
  const out = await Deno.makeTempDir();
  const r = await run([
    "--strategies",
    "yarn,yarn:factor=2,pi",
    "--lengths",
    "512",
    "--samples",
    "4",
    "--metrics",
    "ppl,needle,passkey,short",
    "--depths",
    "0,0.5",
    "--reference",
    "yarn",
    "--json",
    "--out",
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const twins = (report.comparisons as Comparison[]).filter((c) => c.a === "yarn:factor=2" && c.b === "yarn");
  assert.deepEqual(twins.map((c) => c.metric), ["ppl", "needle", "passkey", "short"]);
  for (const c of twins) {
    assert.deepEqual([c.difference, c.ci95, c.significant], [0, [0, 0], false], c.metric);
  }
  // Neither twin is ever "best" alone: a leader tied with its twin is reported as tied.
  for (const v of report.verdicts) {
    assert.ok(v.best !== "yarn" && v.best !== "yarn:factor=2", JSON.stringify(v));
  }
  const text = await Deno.readTextFile(`${out}/report.txt`);
  assert.match(text, /yarn:factor=2 − yarn\s+0\.000\s+\[0\.000, 0\.000\]\s+not significant/);
  assert.match(text, /± /);
  const html = await Deno.readTextFile(`${out}/report.html`);
  assert.match(html, /<h2>Paired comparisons<\/h2>/);
  assert.match(html, /class="tied"/);
  // Error bars on the needle chart: one vertical bar with caps per (strategy, depth) with a standard error.
  const svg = await Deno.readTextFile(`${out}/needle_by_depth_512.svg`);
  assert.match(svg, /<path d="M[\d.]+ [\d.]+ V[\d.]+ M/);
});
