/**
 * How a command fails, as a user sees it in a real process: an error the user caused (a bad flag, a
 * missing file) is exactly one `error:` line and exit 1; a bug prints its stack and exits 70.
 */
import assert from "node:assert/strict";
import { BUG_EXIT_CODE } from "../../cli/run_command.ts";

async function run(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-net", "--allow-run", "--allow-write", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");

Deno.test("a user's mistake is one line naming the field or file, and exit 1", async () => {
  const rope = new URL("../../cli/rope.ts", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/config.json`;
    const llama = {
      hidden_size: 512,
      num_attention_heads: 8,
      max_position_embeddings: 2048,
      rope_theta: 10000,
    };
    await Deno.writeTextFile(config, JSON.stringify(llama));
    const missing = `${dir}/missing.json`;
    for (
      const [args, names] of [
        [["--config", config, "--strategy", "nosuch"], '"nosuch"'],
        [["--config", config, "--strategy", "yarn", "--param", "factor=abc"], '"factor"'],
        [["--config", missing], missing],
      ] as const
    ) {
      const r = await run([rope, ...args]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^error: /);
      assert.ok(r.stderr.includes(names), r.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bug prints its stack (where it happened) and exits 70, not an error: line", async () => {
  const r = await run([new URL("./_bug_command.ts", import.meta.url).pathname]);
  assert.equal(r.code, BUG_EXIT_CODE, r.stderr);
  assert.doesNotMatch(r.stderr, /^error: /);
  assert.match(r.stderr, /TypeError/);
  // The stack names the file and line of the bug.
  assert.match(r.stderr, /at .*_bug_command\.ts:\d+:\d+/);
  assert.ok(lines(r.stderr).length > 2, r.stderr);
});
