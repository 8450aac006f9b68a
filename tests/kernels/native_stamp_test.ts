/**
 * A library built from other sources is never loaded: the build stamps the sources it compiled, and the first
 * use after a checkout or an edit that changed them rebuilds (or, where no compiler may run, falls back to the
 * WebAssembly kernels and says why). Runs a copy of kernels/ under .build/ (the tests' --allow-ffi folder), each
 * step in its own process as a user's commands would.
 */
import assert from "node:assert/strict";
import { copyKernels } from "./_util.ts";
import { nativeKernels } from "../../kernels/native/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const COPY = new URL(".build/stamp/", ROOT);
const PROBE = `import { nativeKernels, nativeStatus } from "./kernels/native/mod.ts";
console.log(JSON.stringify({ loaded: nativeKernels() !== null, status: nativeStatus() }));`;

/** Loads the copy's kernels in a fresh process; `compile`: whether it may run a C compiler. */
async function probe(compile: boolean): Promise<{ loaded: boolean; status: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-ffi=${new URL(".build/", COPY).pathname}`,
      "--allow-read",
      `--allow-write=${new URL(".build/", COPY).pathname}`,
      ...(compile ? ["--allow-run=cc,gcc,clang"] : []),
      "--allow-env",
      new URL("probe.ts", COPY).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  return { ...JSON.parse(new TextDecoder().decode(out.stdout)), stderr };
}

Deno.test({
  name: "native kernels: a library built from other sources is rebuilt on first use, never loaded",
  ignore: nativeKernels() === null,
  async fn() {
    await copyKernels(COPY);
    await Deno.writeTextFile(new URL("probe.ts", COPY), PROBE);
    const library = new URL(".build/libropekit.so", COPY);

    const first = await probe(true);
    assert.ok(first.loaded, first.status);
    assert.match(first.stderr, /building the native kernels once/);
    const again = await probe(true);
    assert.ok(again.loaded, again.status);
    assert.doesNotMatch(again.stderr, /building/, "the same sources: no rebuild");
    const builtAt = (await Deno.stat(library)).mtime!.getTime();

    // An edit (or a checkout) that changes the C, with the ABI version unchanged.
    const source = new URL("kernels/native/ropekit.c", COPY);
    await Deno.writeTextFile(source, "\n/* changed after the build */\n", { append: true });
    const rebuilt = await probe(true);
    assert.ok(rebuilt.loaded, rebuilt.status);
    assert.match(rebuilt.stderr, /rebuilding the native kernels: their sources changed/);
    assert.ok((await Deno.stat(library)).mtime!.getTime() > builtAt, "a new library was written");

    // Changed again where no compiler may run: the stale library is not loaded, and the status says why.
    await Deno.writeTextFile(source, "/* and again */\n", { append: true });
    const refused = await probe(false);
    assert.equal(refused.loaded, false);
    assert.match(refused.status, /was built from other sources and cannot be rebuilt here/);
    await Deno.remove(COPY, { recursive: true });
  },
});
