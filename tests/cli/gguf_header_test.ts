/** A GGUF file whose header cannot be read: the error a user sees (a real CLI process) names the file. */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;

async function tokenize(model: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-env",
      "--allow-net",
      "cli/tokenize.ts",
      "--model",
      model,
      "--text",
      "hi",
    ],
    cwd: ROOT,
  }).output();
  // The last line is the error (a line before it may say which kernels loaded).
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)! };
}

/** "GGUF", a little-endian u32 version, then `rest`. */
function ggufBytes(version: number, rest: number[]): Uint8Array {
  const head = new Uint8Array(8);
  head.set(new TextEncoder().encode("GGUF"));
  new DataView(head.buffer).setUint32(4, version, true);
  return new Uint8Array([...head, ...rest]);
}

Deno.test("GGUF header errors name the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ropekit_gguf_header_" });
  try {
    const version = join(dir, "future.gguf");
    await Deno.writeFile(version, ggufBytes(99, new Array(64).fill(0)));
    const v = await tokenize(version);
    assert.equal(v.code, 1);
    assert.match(
      v.stderr,
      new RegExp(`^error: ${version.replaceAll(".", "\\.")}: cannot read the GGUF header \\(.*version`),
    );

    // A header with no tensors and no metadata: the key it lacks is named, with the file.
    const empty = join(dir, "empty.gguf");
    await Deno.writeFile(empty, ggufBytes(3, new Array(16).fill(0)));
    const e = await tokenize(empty);
    assert.equal(e.code, 1);
    assert.match(
      e.stderr,
      new RegExp(`^error: ${empty.replaceAll(".", "\\.")}: metadata key general\\.architecture is missing`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
