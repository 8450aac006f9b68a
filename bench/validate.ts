/**
 * Validate, then benchmark: the kernel benches time kernels on seeded random inputs and check the
 * output of the timed calls against the CPU reference at the same shape (matmulRef,
 * causalAttentionRef), so a fast but wrong kernel fails the run instead of reporting GFLOP/s.
 *
 * The inputs and the reference output of a shape are made once here and shared by every path that
 * times it (native, wasm, WebGPU): the reference at the largest timed shapes takes seconds in JS.
 *
 * @module
 */
import { matmulRef } from "../kernels/cpu/matmul.ts";
import { causalAttentionRef } from "../kernels/cpu/attention.ts";
import { RopekitError } from "../util/errors.ts";
import { relativeError } from "../util/relative_error.ts";

/** The tolerance of the kernel tests (tests/kernels/_fast_kernel_cases.ts, matmul_test, attention_test). */
export const KERNEL_TOLERANCE = 1e-4;

/**
 * Tolerance of matmul outputs against the f32 rounding bound's scale Σₖ|xₖwₖ| (see
 * {@linkcode matmulReference}): float32 accumulation over K terms errs by at most ~K·2⁻²⁴ of it
 * (3e-5 at K = 512; random rounding gives far less), whatever the blocking order.
 */
export const MATMUL_TOLERANCE = 1e-5;

/** A timed kernel's output disagrees with its reference. */
export class BenchValidationError extends RopekitError {}

/** What a kernel's output was checked against, and how close it was. */
export interface Validation {
  /** The reference function (a JS kernel of kernels/cpu). */
  reference: string;
  /**
   * max |actual − expected| / max(|expected|, 1e-3 · max|expected|), the kernel tests' measure; for
   * matmul max |actual − expected| / Σₖ|xₖwₖ| (see {@linkcode matmulReference}).
   */
  maxRelError: number;
  maxAbsError: number;
  tolerance: number;
}

/** Fills `a` with seeded values in [−1, 1) (an LCG: cheap at 10⁶ values, and the same on every path). */
export function fillSeeded<A extends Float32Array>(a: A, seed: number): A {
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** Seeded inputs of a kernel shape and the reference output over them. */
export interface ReferenceCase {
  /** Inputs in the kernel's argument order: matmul x, w; attention q, k, v. */
  inputs: Float32Array<ArrayBuffer>[];
  /** The reference output (computed on first use, then kept). */
  expected(): Float32Array;
  /** Name of the reference function. */
  reference: string;
  /** Per-output error scale replacing |expected| in the relative error, when the measure needs one. */
  scale?(): Float32Array;
  /** Largest relative error accepted. */
  tolerance: number;
  /**
   * When set, `expected()` holds only these output rows (of `rowSize` values each), packed in order:
   * the reference at the longest shapes is computed on a sample of rows.
   */
  rows?: { index: Int32Array; rowSize: number };
}

const memo = new Map<string, ReferenceCase>();

function memoized(key: string, make: () => ReferenceCase): ReferenceCase {
  let c = memo.get(key);
  if (!c) memo.set(key, c = make());
  return c;
}

function lazy(compute: () => Float32Array): () => Float32Array {
  let out: Float32Array | undefined;
  return () => out ??= compute();
}

/**
 * Seeded x [T×K] and w [N×K] (seeds 1, 2) and matmulRef's out [T×N] (accumulated in float64). The error
 * is measured against Σₖ|xₖwₖ| (|x|·|w|ᵀ), the scale of float32 rounding in a dot product: the tests'
 * |Δ|/|expected| grows with K where outputs cancel, and passes 1e-4 at K = 512 for a correct kernel
 * (native 3.5e-4 measured at 2048×512×1376).
 */
export function matmulReference(T: number, K: number, N: number): ReferenceCase {
  return memoized(`matmul ${T} ${K} ${N}`, () => {
    const x = fillSeeded(new Float32Array(T * K), 1), w = fillSeeded(new Float32Array(N * K), 2);
    return {
      inputs: [x, w],
      reference: "matmulRef",
      tolerance: MATMUL_TOLERANCE,
      expected: lazy(() => {
        const out = new Float32Array(T * N);
        matmulRef({ out, x, w, T, K, N });
        return out;
      }),
      scale: lazy(() => {
        const out = new Float32Array(T * N);
        matmulRef({ out, x: x.map(Math.abs), w: w.map(Math.abs), T, K, N });
        return out;
      }),
    };
  });
}

/** Sequences longer than this are checked on {@linkcode sampledRows}, not on every row. */
export const FULL_CHECK_MAX_T = 2048;

/**
 * Rows checked at a long shape: the first 16, the last 64 (the longest rows, on the last work items) and
 * 64 seeded ones between, sorted. The reference costs O(rows·T) instead of O(T²).
 */
export function sampledRows(T: number): Int32Array {
  const rows = new Set<number>();
  for (let t = 0; t < Math.min(16, T); t++) rows.add(t);
  for (let t = Math.max(0, T - 64); t < T; t++) rows.add(t);
  let s = 777;
  for (let i = 0; i < 64; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    rows.add(s % T);
  }
  return Int32Array.from([...rows].sort((a, b) => a - b));
}

/**
 * Seeded q, k, v (seeds 3, 4, 5; logits stay within ~±3 as in the tests) and causalAttentionRef's out,
 * on every row up to T = {@linkcode FULL_CHECK_MAX_T}, else on {@linkcode sampledRows}.
 */
export function attentionReference(T: number, H: number, KV: number, hd: number): ReferenceCase {
  return memoized(`attention ${T} ${H} ${KV} ${hd}`, () => {
    const q = fillSeeded(new Float32Array(T * H * hd), 3);
    const k = fillSeeded(new Float32Array(T * KV * hd), 4), v = fillSeeded(new Float32Array(T * KV * hd), 5);
    const rowSize = H * hd, index = T > FULL_CHECK_MAX_T ? sampledRows(T) : undefined;
    return {
      inputs: [q, k, v],
      reference: index ? `causalAttentionRef (${index.length} sampled rows)` : "causalAttentionRef",
      tolerance: KERNEL_TOLERANCE,
      rows: index && { index, rowSize },
      expected: lazy(() => {
        const out = new Float32Array(T * H * hd);
        causalAttentionRef({ out, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd }, index);
        return index ? pickRows(out, index, rowSize) : out;
      }),
    };
  });
}

/** Rows `index` of a [rows][rowSize] array, packed. */
function pickRows(a: ArrayLike<number>, index: Int32Array, rowSize: number): Float32Array {
  const out = new Float32Array(index.length * rowSize);
  index.forEach((t, i) => {
    for (let c = 0; c < rowSize; c++) out[i * rowSize + c] = a[t * rowSize + c];
  });
  return out;
}

/**
 * Compares a timed kernel's output with the reference; throws a one-line {@linkcode BenchValidationError}
 * naming the kernel, its shape and the max error when it is off by more than `tolerance` (or has NaN).
 */
export function validateOutput(
  label: string,
  actual: ArrayLike<number>,
  ref: ReferenceCase,
): Validation {
  const expected = ref.expected(), scale = ref.scale?.(), tolerance = ref.tolerance;
  if (ref.rows) actual = pickRows(actual, ref.rows.index, ref.rows.rowSize);
  if (actual.length < expected.length) {
    throw new BenchValidationError(`${label}: output has ${actual.length} values, want ${expected.length}`);
  }
  const { maxRel, maxAbs, worst } = relativeError(actual, expected, scale);
  if (!(maxRel <= tolerance)) {
    throw new BenchValidationError(
      `${label}: output does not match ${ref.reference}: max rel error ${
        maxRel.toExponential(2)
      } > ${tolerance} ` +
        `(index ${worst}: got ${actual[worst]}, want ${expected[worst]})`,
    );
  }
  return { reference: ref.reference, maxRelError: maxRel, maxAbsError: maxAbs, tolerance };
}

/** "checked: max rel 3.4e-7 ≤ 1e-5 vs matmulRef", or `unchecked` (why a row has no check). */
export function describeValidation(v: Validation | null, unchecked = "(the reference)"): string {
  return v
    ? `checked: max rel ${v.maxRelError.toExponential(1)} ≤ ${v.tolerance.toExponential(0)} vs ${v.reference}`
    : unchecked;
}
