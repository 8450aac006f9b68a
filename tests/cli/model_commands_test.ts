/** `nll`, `generate` and `tokenize` run as a user runs them: output, and clear errors with exit code 1. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_MODEL, DEFAULT_TEXT, hasSharedFiles, sharedPath } from "../_shared_dir.ts";

const root = new URL("../../", import.meta.url).pathname;
// The goldens are stories260K's (shared folder); properties of any model run on the in-repo facts837K.
const models = sharedPath("models/stories260K/");
const present = hasSharedFiles("models/stories260K/stories260K.bin", "models/stories260K/stories260K.gguf");

async function run(cmd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", `cli/${cmd}.ts`, ...args],
    cwd: root,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "tokenize --json and generate print the golden ids and text (stories260K)",
  ignore: !present,
  fn: async () => {
    const t = await run(
      "tokenize",
      "--model",
      join(models, "stories260K.bin"),
      "--text",
      "Once upon a time",
      "--json",
    );
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(JSON.parse(t.stdout).ids, [1, 403, 407, 261, 378]);
    const g = await run(
      "generate",
      "--model",
      join(models, "stories260K.gguf"),
      "--prompt",
      "Once upon a time",
      "--tokens",
      "60",
    );
    assert.equal(g.code, 0, g.stderr);
    assert.ok(g.stdout.startsWith("Once upon a time, there was a little girl named Lily."), g.stdout);
    assert.ok(g.stdout.endsWith("it was too high.\nLily\n"), g.stdout);
  },
});

Deno.test({
  name: "nll --tokens --json reports the golden NLL and the exact inv_freq and scale (stories260K)",
  ignore: !present,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const tokens = join(dir, "t.json");
    const golden = [
      1,
      385,
      328,
      432,
      261,
      280,
      305,
      330,
      272,
      414,
      444,
      272,
      277,
      264,
      261,
      262,
      415,
      271,
      422,
      410,
      354,
      422,
      318,
      264,
      285,
      265,
      334,
      341,
      334,
      412,
      433,
      259,
      276,
      411,
      426,
    ];
    await Deno.writeTextFile(tokens, JSON.stringify([golden]));
    const r = await run("nll", "--model", join(models, "stories260K.bin"), "--tokens", tokens, "--json");
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.windows[0].tokens, 34);
    assert.ok(Math.abs(report.windows[0].nll_sum / 54.4041 - 1) < 1e-4);
    assert.equal(report.windows[0].rope.attention_scale, 1);
    assert.deepEqual(report.windows[0].rope.inv_freq, [
      1,
      Math.fround(0.1),
      Math.fround(0.01),
      Math.fround(0.001),
    ]);
    const pi = await run(
      "nll",
      "--model",
      join(models, "stories260K.bin"),
      "--tokens",
      tokens,
      "--json",
      "--strategy",
      "pi",
      "--param",
      "factor=2",
    );
    assert.equal(pi.code, 0, pi.stderr);
    assert.equal(JSON.parse(pi.stdout).windows[0].rope.inv_freq[0], 0.5);
    await Deno.remove(dir, { recursive: true });
  },
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
