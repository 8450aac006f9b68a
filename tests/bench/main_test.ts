/** `deno task bench`'s flags, as a user runs it: --help prints usage, bad flags are one error line and exit 2. */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
// The permissions of `deno task bench`.
const PERMISSIONS = "--allow-ffi=.build --allow-read --allow-write --allow-env --allow-run --allow-sys".split(
  " ",
);

async function bench(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "bench/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bench --help prints usage with every flag and exits 0 without running anything", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await bench(flag);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: deno task bench/);
    for (
      const f of [
        "--json",
        "--repeats",
        "--rounds",
        "--quick",
        "--no-peer",
        "--no-llama-cpp",
        "--no-gpu",
        "--no-quant",
      ]
    ) {
      assert.ok(r.stdout.includes(f), `usage names ${f}`);
    }
    assert.ok(!r.stdout.includes("GFLOP/s  "), "no kernel rows were run");
  }
});

Deno.test("bench: unknown flags, bad numbers and conflicting flags are one error line, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^error: Unknown option '--bogus'/],
    [["--repeats", "x"], /^error: --repeats must be a positive integer, got "x"/],
    [["--rounds", "0"], /^error: --rounds must be a positive integer, got "0"/],
    [["--train-repeats", "2.5"], /^error: --train-repeats must be a positive integer, got "2.5"/],
    [["--train-only", "--no-train"], /^error: --train-only and --no-train exclude each other/],
  ];
  for (const [args, want] of cases) {
    const r = await bench(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.equal(r.stdout, "");
  }
});
