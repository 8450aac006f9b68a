/** `nll`, `generate` and `tokenize` run as a user runs them: output, and clear errors with exit code 1. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_MODEL, DEFAULT_TEXT } from "../_shared_dir.ts";
import { loadModel } from "../../model/load_model.ts";
import { plainRope } from "../model/_fixtures.ts";

const root = new URL("../../", import.meta.url).pathname;
// The in-repo facts837K: every clone has it (stories260K's goldens are checked in tests/model/).

async function run(cmd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", `cli/${cmd}.ts`, ...args],
    cwd: root,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("tokenize --json, generate and nll --tokens --json print what the library computes (facts837K)", async () => {
  const model = await loadModel(DEFAULT_MODEL);
  const prompt = (await Deno.readTextFile(DEFAULT_TEXT)).slice(0, 60);
  const ids = model.tokenizer.encode(prompt);
  const t = await run("tokenize", "--model", DEFAULT_MODEL, "--text", prompt, "--json");
  assert.equal(t.code, 0, t.stderr);
  assert.deepEqual(JSON.parse(t.stdout).ids, ids);

  // The model's own RoPE is what generate and nll use without --strategy.
  const table = plainRope(model.spec.theta, model.spec.rotaryDim);
  const decode = model.tokenizer.streamDecoder();
  let want = ids.map((id) => decode(id)).join("");
  for (const id of await model.generate(ids, table, 30)) want += decode(id);
  const g = await run("generate", "--model", DEFAULT_MODEL, "--prompt", prompt, "--tokens", "30");
  assert.equal(g.code, 0, g.stderr);
  assert.equal(g.stdout, want + decode(-1) + "\n");

  const dir = await Deno.makeTempDir();
  const tokens = join(dir, "t.json");
  await Deno.writeTextFile(tokens, JSON.stringify([ids]));
  const r = await run("nll", "--model", DEFAULT_MODEL, "--tokens", tokens, "--json");
  assert.equal(r.code, 0, r.stderr);
  const window = JSON.parse(r.stdout).windows[0];
  const lib = await model.nll([ids], table);
  assert.equal(window.tokens, ids.length - 1);
  const sum = lib.nll[0].reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(window.nll_sum / sum - 1) < 1e-5, `${window.nll_sum} vs ${sum}`);
  assert.deepEqual(window.rope.inv_freq, [...lib.rope[0].invFreq]);
  assert.equal(window.rope.attention_scale, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "nll --text cuts BOS + (length − 1) token windows",
  fn: async () => {
    const r = await run(
      "nll",
      "--model",
      DEFAULT_MODEL,
      "--text",
      DEFAULT_TEXT,
      "--length",
      "64",
      "--max-windows",
      "2",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.windows.map((w: { tokens: number }) => w.tokens), [63, 63]);
    assert.ok(report.total.perplexity > 1 && report.total.perplexity < 20);
  },
});

Deno.test("errors name the flag or file and exit 1", async () => {
  const cases: [string, string[], RegExp][] = [
    ["nll", ["--model", "/nonexistent/m.bin", "--tokens", "x.json"], /\/nonexistent\/m\.bin/],
    ["nll", ["--bogus"], /bogus/],
    ["nll", ["--tokens", "x.json"], /--model is required/],
    ["generate", ["--model", "m.bin"], /--prompt is required/],
    ["tokenize", ["--model", "m.bin", "--text", "x", "--pairing", "diagonal"], /--pairing/],
  ];
  const bin = DEFAULT_MODEL;
  cases.push(
    ["nll", ["--model", bin, "--tokens", "/nonexistent/t.json"], /--tokens \/nonexistent\/t\.json/],
    ["nll", ["--model", bin, "--text", "/nonexistent/t.txt"], /--text \/nonexistent\/t\.txt/],
    ["nll", ["--model", bin, "--tokens", "a", "--text", "b"], /exactly one of --text and --tokens/],
    ["generate", ["--model", bin, "--prompt", "x", "--tokens", "0"], /--tokens must be a positive integer/],
    [
      "nll",
      ["--model", bin, "--text", DEFAULT_TEXT, "--strategy", "nope"],
      /Unknown strategy "nope"/,
    ],
  );
  for (const [cmd, args, pattern] of cases) {
    const r = await run(cmd, ...args);
    assert.equal(r.code, 1, `${cmd} ${args.join(" ")}`);
    assert.match(r.stderr, pattern);
  }
});
