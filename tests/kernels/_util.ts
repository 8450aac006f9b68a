/** Helpers shared by the kernel tests: seeded random data and a relative error report. @module */
import assert from "node:assert/strict";
import { relativeError } from "../../util/relative_error.ts";

/** Deterministic uniform values in [lo, hi) (mulberry32), so failures reproduce. */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    out[i] = lo + (hi - lo) * (((r ^ (r >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/**
 * Asserts |a−b| / max(|b|, 1e-3·max|b|) ≤ tol everywhere (the floor keeps near-zero entries from
 * dominating) and prints max abs and max rel error.
 */
export function assertClose(
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
) {
  assert.equal(actual.length, expected.length, `${name}: length`);
  const { maxRel, maxAbs, worst } = relativeError(actual, expected);
  console.log(`${name}: max abs ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}`);
  assert.ok(
    maxRel <= tol,
    `${name}: rel error ${maxRel} > ${tol} at ${worst} (got ${actual[worst]}, want ${expected[worst]})`,
  );
}

/**
 * A fresh copy of the repository's kernels/ in `copy` (a folder under .build/, which the tests' --allow-ffi
 * names): its native library builds into `copy`/.build/, apart from the one the other tests load.
 */
export async function copyKernels(copy: URL): Promise<void> {
  await Deno.remove(copy, { recursive: true }).catch(() => {});
  await Deno.mkdir(copy, { recursive: true });
  const cp = await new Deno.Command("cp", {
    args: ["-r", new URL("../../kernels", import.meta.url).pathname, copy.pathname],
  }).output();
  assert.ok(cp.success, new TextDecoder().decode(cp.stderr));
}
