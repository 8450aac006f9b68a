/**
 * `compare` refuses, as a user runs it (a real CLI process, exit code 1 and one `error:` line): plugin
 * URLs that are not what the loopback-only http rule allows (0.0.0.0, a DNS name that points at
 * loopback), files that are not modules (without showing their content), a `--target` below a length
 * being scored, and the same strategy twice (as the server does).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pluginSource, VALID_TABLE, withServer } from "../plugins/_server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MODEL = `${ROOT}models/facts837K/model.bin`;
const SMALL = ["--model", MODEL, "--lengths", "512", "--samples", "1", "--metrics", "ppl"];

/** `deno task compare`, with its permissions. */
async function compare(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...["--allow-ffi=.build", "--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-run"],
      "--allow-sys=systemMemoryInfo",
      "cli/compare.ts",
      ...args,
    ],
    cwd: ROOT,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Exit 1 with exactly one `error:` line matching `re`, and nothing on stdout. */
function refused(r: { code: number; stdout: string; stderr: string }, re: RegExp) {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr.trim(), /^error: /);
  assert.match(r.stderr, re);
}

Deno.test("compare: http:// plugin URLs only to literal loopback hosts, never 0.0.0.0 or a DNS name", async () => {
  await withServer({ "/x.ts": pluginSource(VALID_TABLE) }, async (server) => {
    const loopbackOnly =
      /http:\/\/ is allowed only for loopback hosts .*not (0\.0\.0\.0|127\.0\.0\.1\.nip\.io)/;
    refused(await compare("--strategies", `http://0.0.0.0:${server.port}/x.ts`, ...SMALL), loopbackOnly);
    // Refused by its name, before any lookup: the process would need net access to resolve it.
    refused(
      await compare("--strategies", `http://127.0.0.1.nip.io:${server.port}/x.ts`, ...SMALL),
      loopbackOnly,
    );
    assert.deepEqual(server.requests, [], "a refused URL was fetched");
  });
});

Deno.test("compare: a file that is not a module is named as such, and its content is not shown", async () => {
  const passwd = await compare("--strategies", "file:///etc/passwd", ...SMALL);
  refused(passwd, /file:\/\/\/etc\/passwd.*is not a JavaScript or TypeScript module/);
  assert.doesNotMatch(passwd.stderr, /root|bash|bundle/);
  const dir = await Deno.makeTempDir();
  const binary = join(dir, "image.ts");
  await Deno.writeFile(binary, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff, 0xfe]));
  const bin = await compare("--strategies", binary, ...SMALL);
  refused(bin, /is binary content, not a JavaScript or TypeScript module/);
  assert.doesNotMatch(bin.stderr, /bundle/);
  refused(await compare("--strategies", `file://${dir}`, ...SMALL), /is not a file/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("compare: --target below a length being scored and a strategy listed twice are refused", async () => {
  refused(
    await compare("--strategies", "yarn", "--target", "100", ...SMALL),
    /--target 100 is below the evaluation length 512: .*--target ≥ 512/,
  );
  refused(
    await compare("--strategies", "yarn,pi,yarn", ...SMALL),
    /--strategies: two entries have the same label \("yarn"\)/,
  );
});
