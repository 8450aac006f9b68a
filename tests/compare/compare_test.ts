import assert from "node:assert/strict";
import { TEST_MODEL, TEST_TEXT } from "../eval/_shared.ts";
import { mcnemarExactP, signFlipP } from "../../util/exact_tests.ts";

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
  column: string;
  a: string;
  b: string;
  difference: number;
  n: number;
  test: string;
  p: number;
  pAdjusted: number;
  ci95: [number, number];
  discordant?: [number, number];
  significant: boolean;
}

Deno.test("compare (issue 22 acceptance): exact tests, Holm, a best only when it beats every other", async () => {
  const r = await run([
    ...["--strategies", "default,pi,yarn,longrope2", "--metrics", "ppl,needle,pet-choice"],
    ...["--lengths", "512,1024", "--samples", "8", "--json"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const comparisons = report.comparisons as Comparison[];
  assert.equal(report.statistics.method, "exact paired tests, Holm-adjusted");
  assert.ok(comparisons.length >= 3 * 3 * 2);
  const scores = (label: string, c: Comparison) => {
    const s =
      report.strategies.find((x: { label: string }) => x.label === label).metrics[c.metric].cells[c.column];
    return (s.independent ?? s.scores.map((_: number, i: number) => i)).map((i: number) =>
      s.scores[i]
    ) as number[];
  };
  for (const c of comparisons) {
    for (const key of ["test", "p", "pAdjusted", "ci95", "n", "significant"]) {
      assert.ok(key in c, `${key}: ${JSON.stringify(c)}`);
    }
    assert.equal(c.significant, c.pAdjusted < 0.05);
    assert.ok(c.pAdjusted >= c.p);
    assert.ok(c.ci95[0] <= c.difference && c.difference <= c.ci95[1], JSON.stringify(c));
    // The exact test recomputed here from the report's own scores: no significant comparison it rejects.
    const a = scores(c.a, c), b = scores(c.b, c);
    const exact = c.metric === "pet-choice"
      ? mcnemarExactP(...pairedDiscordant(a, b))
      : signFlipP(a.map((v, i) => v - b[i])).p;
    assert.equal(c.p, exact, JSON.stringify(c));
    if (c.significant) assert.ok(exact < 0.05, JSON.stringify(c));
    if (c.metric === "pet-choice") {
      assert.equal(c.test, "exact McNemar");
      assert.deepEqual(c.discordant, pairedDiscordant(a, b));
      assert.ok(c.ci95[0] >= -1 && c.ci95[1] <= 1, JSON.stringify(c));
    } else assert.equal(c.test, "exact sign-flip");
  }
  // Every named best beats every other strategy of its column significantly.
  for (const v of report.verdicts) {
    assert.ok(!("tied" in v));
    if (!v.best) {
      assert.ok(v.notDistinguishable.length >= 2, JSON.stringify(v));
      continue;
    }
    for (const s of report.strategies.filter((x: { label: string }) => x.label !== v.best)) {
      const c = comparisons.find((c) =>
        c.metric === v.metric && c.column === v.column &&
        [c.a, c.b].sort().join() === [s.label, v.best].sort().join()
      );
      assert.ok(
        c?.significant,
        `${v.best} is named best of ${v.metric}@${v.column} without beating ${s.label}`,
      );
    }
  }
  assert.ok(
    report.power.some((p: { text: string }) =>
      /n = 8 can show a difference only with ≥ 6 discordant/.test(p.text)
    ),
  );
});

/** [documents only a got right, documents only b got right]. */
function pairedDiscordant(a: number[], b: number[]): [number, number] {
  return [a.filter((v, i) => v === 1 && b[i] === 0).length, a.filter((v, i) => v === 0 && b[i] === 1).length];
}

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
    assert.deepEqual([c.difference, c.p, c.significant], [0, 1, false], c.metric);
  }
  // Neither twin is ever "best" alone: a leader with its twin is "not distinguishable" from it.
  for (const v of report.verdicts) {
    assert.ok(v.best !== "yarn" && v.best !== "yarn:factor=2", JSON.stringify(v));
  }
  const text = await Deno.readTextFile(`${out}/report.txt`);
  assert.match(
    text,
    /yarn:factor=2 − yarn\s+0\.000\s+\[0\.000, 0\.000\]\s+p 1\.0\s+adj 1\.0\s+not significant/,
  );
  assert.match(text, /± /);
  const html = await Deno.readTextFile(`${out}/report.html`);
  assert.match(html, /<h2>Paired comparisons<\/h2>/);
  assert.match(html, /class="indistinguishable"/);
  // Error bars on the needle chart: one vertical bar with caps per (strategy, depth) with a standard error.
  const svg = await Deno.readTextFile(`${out}/needle_by_depth_512.svg`);
  assert.match(svg, /<path d="M[\d.]+ [\d.]+ V[\d.]+ M/);
});

Deno.test("compare: --primary and --margin are checked before any model is loaded", async () => {
  const primary = await run(["--strategies", "yarn,pi", "--metrics", "ppl", "--primary", "needle@512"]);
  assert.notEqual(primary.code, 0);
  assert.match(primary.stderr, /--primary must be METRIC@LENGTH of a compared metric, got "needle@512"/);
  const margin = await run(["--strategies", "yarn,pi", "--metrics", "ppl", "--margin", "ppl=-1"]);
  assert.notEqual(margin.code, 0);
  assert.match(margin.stderr, /--margin takes METRIC=X with a compared metric and X > 0, got "ppl=-1"/);
});
