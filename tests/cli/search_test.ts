/**
 * `deno task search` as a user runs it (with the task's permissions, so the native backend is used when
 * built): a tiny real search on stories260K, resume, and clear errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import { theoreticalCriticalDim } from "../../strategies/critical.ts";
import { TEST_MODEL, TEST_TEXT } from "../eval/_shared.ts";

const root = new URL("../../", import.meta.url).pathname;
// stories260K with TinyStories when the shared folder has them, else the in-repo facts837K: the
// expectations below are derived from the model's spec, so they hold for either.
const model = TEST_MODEL, text = TEST_TEXT;
const spec = (await loadModel(model)).spec;
const L0 = spec.originalContext;

async function search(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi=.build",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "cli/search.ts",
      ...args,
    ],
    cwd: root,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const TINY = [
  "--model",
  model,
  "--text",
  text,
  "--target",
  "768",
  "--template",
  "story-pet",
  "--samples",
  "1",
  "--population",
  "3",
  "--generations",
  "1",
  "--parents",
  "2",
  "--mutations",
  "1",
  "--crossovers",
  "1",
];

Deno.test({
  name: "search longrope2 writes a result file; --resume replays it without evaluating",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "r.json");
    const first = await search("--strategy", "longrope2", ...TINY, "--out", out);
    assert.equal(first.code, 0, first.stderr);
    const r = JSON.parse(await Deno.readTextFile(out));
    assert.equal(r.format, "ropekit-search-result");
    assert.equal(r.version, 1);
    assert.equal(r.strategy, "longrope2");
    assert.equal(r.fitness_kind, "needle");
    assert.ok(Number.isFinite(r.fitness) && r.fitness > 1);
    assert.equal(r.evaluations.total, 5);
    assert.equal(r.history.length, 2);
    const dTcd = theoreticalCriticalDim(spec);
    assert.equal(r.theoretical_critical_dim, dTcd);
    assert.ok(Number.isInteger(r.found_critical_index) && r.found_critical_index >= 1);
    assert.equal(r.params.critical_index, r.found_critical_index);
    assert.equal(r.params.long_factor.length, spec.rotaryDim / 2);
    assert.equal(r.params.factor, 768 / L0);
    assert.deepEqual(r.settings.fitness.textRange, [0.5, 1]);
    assert.equal(r.hf.rope_scaling.rope_type, "longrope");
    assert.match(
      first.stdout,
      new RegExp(`critical index found: k = ${r.found_critical_index} \\(theoretical d_tcd = ${dTcd}`),
    );
    assert.match(first.stdout, /"rope_scaling": \{/);
    assert.match(first.stderr, /gen 1\/1 {2}evals 5\/5/);

    const again = await search("--strategy", "longrope2", ...TINY, "--out", out);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists: pass --resume/);
    const resumed = await search("--strategy", "longrope2", ...TINY, "--out", out, "--resume");
    assert.equal(resumed.code, 0, resumed.stderr);
    const r2 = JSON.parse(await Deno.readTextFile(out));
    assert.deepEqual(r2.evaluations, { total: 5, fresh: 0, replayed: 5, exhausted: 0 });
    assert.deepEqual(r2.params, r.params);
    assert.deepEqual(r2.history, r.history);
  },
});

Deno.test({
  name: "search yarn tunes its declared parameters with perplexity fitness under an evaluation budget",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "y.json");
    const res = await search(
      "--strategy",
      "yarn",
      ...TINY,
      "--fitness",
      "ppl",
      "--budget",
      "3",
      "--out",
      out,
      "--quiet",
    );
    assert.equal(res.code, 0, res.stderr);
    const r = JSON.parse(await Deno.readTextFile(out));
    assert.equal(r.strategy, "yarn");
    assert.equal(r.stopped, "evaluations");
    assert.equal(r.evaluations.total, 3);
    assert.deepEqual(Object.keys(r.params).sort(), ["beta_fast", "beta_slow", "truncate"]);
    assert.equal(r.seeds[0].name, "defaults");
    assert.equal(r.hf.rope_scaling.rope_type, "yarn");
  },
});

Deno.test("search: bad flags, unknown strategies and unreadable inputs exit 1 with one clear line", async () => {
  const cases: [string[], RegExp][] = [
    [["--strategy", "nope", "--model", "m", "--target", "9", "--text", "t"], /Unknown strategy "nope"/],
    [["--strategy", "longrope2", "--model", "m", "--text", "t"], /--target is required/],
    [
      ["--strategy", "longrope2", "--model", "m", "--target", "x", "--text", "t"],
      /--target must be a positive integer/,
    ],
    [
      ["--strategy", "longrope2", "--model", "m", "--target", "9", "--text", "t", "--budget", "5x"],
      /--budget: budget must/,
    ],
    [
      ["--strategy", "longrope2", "--model", "m", "--target", "9", "--text", "t", "--fitness", "bleu"],
      /--fitness must be/,
    ],
    [["--strategy", "longrope2", "--bogus"], /bogus/],
    [
      ["--strategy", "yarn", "--model", "m", "--target", "9", "--text", "t", "--param", "zz=1"],
      /unknown parameter "zz"/,
    ],
    [
      ["--strategy", "longrope2", "--model", "/no/such.bin", "--target", "1024", "--text", "t"],
      /model \/no\/such.bin: cannot read/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await search(...args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const help = await search("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--resume/);
});

Deno.test({
  name: "search: an unreadable text file and a target within L0 are reported",
  fn: async () => {
    const noText = await search(
      "--strategy",
      "longrope2",
      "--model",
      model,
      "--target",
      "1024",
      "--text",
      "/no/t.txt",
    );
    assert.equal(noText.code, 1);
    assert.match(noText.stderr, /cannot read text \/no\/t.txt/);
    const dir = await Deno.makeTempDir();
    const short = await search(
      "--strategy",
      "longrope2",
      "--model",
      model,
      "--target",
      String(L0),
      "--text",
      text,
      "--out",
      join(dir, "x.json"),
    );
    assert.equal(short.code, 1);
    assert.match(short.stderr, new RegExp(`target ${L0} must exceed L0 = ${L0}`));
  },
});
