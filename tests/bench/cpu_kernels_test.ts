/**
 * The CPU kernel bench validates what it times: on small shapes every path that loads here passes its
 * check against the reference, and a kernel whose output is corrupted fails the run with a line naming
 * the path, kernel, shape and error.
 */
import assert from "node:assert/strict";
import {
  attentionCase,
  benchCpuKernels,
  type CpuKernelCase,
  matmulCase,
  measurePeakGflops,
  type Path,
  pathAvailable,
} from "../../bench/cpu_kernels.ts";
import {
  BenchValidationError,
  FULL_CHECK_MAX_T,
  KERNEL_TOLERANCE,
  matmulReference,
  sampledRows,
} from "../../bench/validate.ts";
import { nativeStatus } from "../../model/native_backend.ts";
import { wasmKernels, wasmReady, wasmStatus } from "../../kernels/wasm/lib.ts";

if (wasmKernels()) await wasmReady();
const paths = (["native", "wasm", "js"] as Path[]).filter(pathAvailable);
if (!paths.includes("native")) console.log(`native path not tested here: ${nativeStatus()}`);
if (!paths.includes("wasm")) console.log(`wasm path not tested here: ${wasmStatus()}`);

/** Small shapes with tails (rows, columns, K) and GQA, on one path. */
function smallCases(path: Path): CpuKernelCase[] {
  return [matmulCase(path, 37, 70, 45), attentionCase(path, 65, 4, 2, 16), attentionCase(path, 33, 2, 2, 8)];
}

Deno.test("cpu kernel bench: every available path's timed outputs match the reference on small shapes", () => {
  const rows = benchCpuKernels(100, { reps: 1, cases: paths.flatMap(smallCases) });
  assert.equal(rows.length, 3 * paths.length);
  for (const r of rows) {
    const label = `${r.path} ${r.name} ${r.shape}`;
    assert.ok(r.gflops > 0 && Number.isFinite(r.gflops), `${label}: GFLOP/s ${r.gflops}`);
    if (r.path === "js" && r.name === "matmul") {
      assert.equal(r.validation, null, "matmulRef is the reference itself");
      continue;
    }
    assert.ok(r.validation, `${label}: validated`);
    console.log(
      `${label}: max rel ${r.validation.maxRelError.toExponential(2)} vs ${r.validation.reference}`,
    );
    assert.ok(r.validation.maxRelError <= r.validation.tolerance, label);
    assert.ok(r.validation.tolerance <= KERNEL_TOLERANCE, label);
    // Seeded random inputs, not zeros: the reference output is far from 0.
    assert.ok(r.validation.maxAbsError < 1e-3, label);
  }
});

for (const path of paths) {
  for (const make of [() => matmulCase(path, 37, 70, 45), () => attentionCase(path, 65, 4, 2, 16)]) {
    const c = make();
    if (path === "js" && c.name === "matmul") continue; // nothing to check the reference against
    Deno.test(`cpu kernel bench: a corrupted ${path} ${c.name} output fails the run`, () => {
      // The kernel runs as timed, then one output value is off by 1% of the largest output.
      const corrupted = {
        ...c,
        run() {
          c.run();
          c.out[c.out.length >> 1] += 0.01 * c.out.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        },
      };
      assert.throws(
        () => benchCpuKernels(100, { reps: 1, cases: [corrupted] }),
        (e: unknown) => {
          assert.ok(e instanceof BenchValidationError, String(e));
          assert.match(e.message, new RegExp(`^${path} ${c.name} ${c.shape.replace(/[/]/g, "\\/")}: `));
          assert.match(e.message, new RegExp(`max rel error \\d\\.\\d\\de-\\d+ > ${c.ref!.tolerance}`));
          assert.ok(!e.message.includes("\n"), "one line");
          return true;
        },
      );
    });
  }
}

Deno.test("cpu kernel bench: an output left at zeros (a kernel that did nothing) fails the run", () => {
  const idle = { ...matmulCase("js", 8, 16, 8), run() {}, ref: matmulReference(8, 16, 8) };
  assert.throws(
    () => benchCpuKernels(100, { reps: 1, cases: [idle] }),
    /js matmul 8×16×8: output does not match matmulRef: max rel error /,
  );
});

Deno.test({
  name:
    "cpu kernel bench: past 2048 tokens attention is checked on sampled rows, and a wrong sampled row fails",
  ignore: !paths.includes("native"),
  fn: () => {
    const T = FULL_CHECK_MAX_T + 77, c = attentionCase("native", T, 2, 1, 8), rows = sampledRows(T);
    assert.ok(rows.includes(0) && rows.includes(T - 1) && rows.length < T / 10, "first, last, a sample");
    const [r] = benchCpuKernels(100, { reps: 1, cases: [c] });
    assert.match(r.validation!.reference, /causalAttentionRef \(\d+ sampled rows\)/);
    assert.ok(r.validation!.maxRelError <= r.validation!.tolerance);
    const middle = rows[rows.length >> 1], rowSize = 2 * 8;
    const corrupted = { ...c, run: () => (c.run(), c.out[middle * rowSize + 3] += 0.05) };
    assert.throws(() => benchCpuKernels(100, { reps: 1, cases: [corrupted] }), BenchValidationError);
  },
});

Deno.test({
  name: "cpu kernel bench: the measured peak is positive and each row records the peak it was compared with",
  ignore: !paths.includes("native"),
  fn: () => {
    const peak = measurePeakGflops(1)!;
    assert.ok(peak > 0 && Number.isFinite(peak), `peak ${peak}`);
    const [r] = benchCpuKernels(1, {
      reps: 1,
      cases: [attentionCase("native", 33, 2, 2, 8)],
      peak: () => peak,
    });
    assert.equal(r.peakGflops, peak); // the larger of before and after: both return `peak` here
    assert.ok(Math.abs(r.pctPeak - 100 * r.gflops / peak) < 1e-9);
  },
});
