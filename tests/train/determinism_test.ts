/**
 * The native training kernels sum every gradient element in a fixed order, so a training pass gives the
 * same bits with 1 or 2 OpenMP threads — what lets a run resumed on another machine continue exactly.
 */
import assert from "node:assert/strict";
import { nativeKernels, nativeStatus } from "../../kernels/native/mod.ts";

const nk = nativeKernels();
if (!nk) console.log(`SKIP native determinism test: ${nativeStatus()}`);

async function probe(threads: number) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-ffi",
      new URL("./_thread_probe.ts", import.meta.url).pathname,
    ],
    env: { OMP_NUM_THREADS: String(threads) },
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "native training pass: identical gradients with 1 and 2 OpenMP threads",
  ignore: !nk,
  fn: async () => {
    const one = await probe(1), two = await probe(2);
    console.log(`1 thread: ${one.hash.slice(0, 16)}…, 2 threads: ${two.hash.slice(0, 16)}…`);
    assert.equal(one.engine, "native");
    assert.deepEqual([one.threads, two.threads], [1, 2]);
    assert.equal(one.nllSum, two.nllSum);
    assert.equal(one.hash, two.hash);
  },
});
