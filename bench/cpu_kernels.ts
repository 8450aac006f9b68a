/**
 * GFLOP/s of the CPU kernels the model runs on: native (C via FFI), WebAssembly (the same C source,
 * kernels/wasm) and JS, matmul and attention, against the machine's fp32 peak. Cold = first call (for
 * native and wasm matmul: includes packing the weights; for wasm also V8's first, baseline-compiled
 * run); warm = best of `reps` later calls. The wasm cases keep their arrays in WebAssembly memory,
 * as the wasm backend does.
 *
 * Inputs are seeded random values, and after timing each native and wasm output is checked against
 * matmulRef / causalAttentionRef at the same shape (bench/validate.ts); a mismatch throws. The JS
 * matmul row is matmulRef itself; the JS attention rows (causalAttentionFast) are checked too.
 *
 * @module
 */
import { matmulRef } from "../kernels/cpu/matmul.ts";
import { causalAttentionFast } from "../kernels/cpu/attention_fast.ts";
import {
  causalAttentionNative,
  matmulNative,
  nativeKernels,
  type NativeSymbols,
} from "../kernels/native/mod.ts";
import { kernelFloats } from "../kernels/native/lib.ts";
import { wasmKernels } from "../kernels/wasm/lib.ts";
import {
  attentionReference,
  matmulReference,
  type ReferenceCase,
  validateOutput,
  type Validation,
} from "./validate.ts";

export type Path = "native" | "wasm" | "js";

/** One measured CPU kernel. */
export interface CpuKernelResult {
  path: Path;
  name: string;
  shape: string;
  coldMs: number;
  warmMs: number;
  gflops: number;
  /** The fp32 peak this row's percentage is of (the larger measured around it, or the fixed one). */
  peakGflops: number;
  pctPeak: number;
  /** The check of the timed output; null for the row that is the reference itself. */
  validation: Validation | null;
}

/** A kernel to time: `run` writes `out`, which must then match `ref` (unless `ref` is null). */
export interface CpuKernelCase {
  path: Path;
  name: string;
  shape: string;
  flop: number;
  run(): void;
  out: Float32Array;
  ref: ReferenceCase | null;
}

/** `src` copied into `nk`'s memory when given (the wasm kernels then read it in place), else `src`. */
function place(src: Float32Array, nk?: NativeSymbols): Float32Array {
  if (!nk) return src;
  const a = kernelFloats(nk, src.length);
  a.set(src);
  return a;
}

function time(run: () => void, reps: number): { coldMs: number; warmMs: number } {
  let t0 = performance.now();
  run();
  const coldMs = performance.now() - t0;
  let warmMs = Infinity;
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    run();
    warmMs = Math.min(warmMs, performance.now() - t0);
  }
  return { coldMs, warmMs };
}

/** The kernel set of a path (null for JS). */
function kernelsOf(path: Path): NativeSymbols | undefined {
  return path === "native" ? nativeKernels()! : path === "wasm" ? wasmKernels()! : undefined;
}

/** Whether a path's kernels load here (JS always does). */
export function pathAvailable(path: Path): boolean {
  return path === "js" || Boolean(path === "native" ? nativeKernels() : wasmKernels());
}

/** out = x·wᵀ on the seeded inputs of {@linkcode matmulReference}. */
export function matmulCase(path: Path, T: number, K: number, N: number): CpuKernelCase {
  const nk = kernelsOf(path), ref = matmulReference(T, K, N);
  // The weights stay a JS array: the native matmul packs them, as the model's weights are.
  const x = place(ref.inputs[0], nk), w = ref.inputs[1];
  const out = nk ? kernelFloats(nk, T * N) : new Float32Array(T * N);
  const run = nk ? () => matmulNative({ out, x, w, T, K, N }, nk) : () => matmulRef({ out, x, w, T, K, N });
  // matmulRef is its own reference.
  return {
    path,
    name: "matmul",
    shape: `${T}×${K}×${N}`,
    flop: 2 * T * K * N,
    run,
    out,
    ref: nk ? ref : null,
  };
}

/** Causal attention (GQA when KV < H) on the seeded inputs of {@linkcode attentionReference}. */
export function attentionCase(path: Path, T: number, H: number, KV: number, hd: number): CpuKernelCase {
  const nk = kernelsOf(path), ref = attentionReference(T, H, KV, hd);
  const [q, k, v] = ref.inputs.map((a) => place(a, nk));
  const out = nk ? kernelFloats(nk, T * H * hd) : new Float32Array(T * H * hd);
  const run = nk
    ? () => causalAttentionNative({ out, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd }, nk)
    : () => causalAttentionFast({ out, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd });
  return {
    path,
    name: "attention",
    shape: `T${T} H${H}/${KV} hd${hd}`,
    // QKᵀ and PV over the causal triangle, as bench/kernels.ts counts them.
    flop: 4 * hd * H * (T * (T + 1)) / 2,
    run,
    out,
    ref,
  };
}

/**
 * Attention shapes of the long-context rows [T, H, KV, hd]: head sizes 64 and 32 at 8k and 32k tokens
 * (fewer heads as T grows, so each row stays seconds; 32k with GQA), checked on sampled rows.
 */
export const LONG_ATTENTION_SHAPES: [number, number, number, number][] = [
  [8192, 4, 4, 64],
  [8192, 4, 4, 32],
  [32768, 2, 1, 64],
  [32768, 2, 1, 32],
];

/**
 * The default cases: native and wasm (when they load) on bench/kernels.ts's and stories260K's shapes
 * and, unless `quick`, {@linkcode LONG_ATTENTION_SHAPES}; JS smaller.
 */
export function defaultCpuKernelCases(quick = false): CpuKernelCase[] {
  const cases = [];
  for (const path of ["native", "wasm"] as const) {
    if (!pathAvailable(path)) continue;
    cases.push(
      matmulCase(path, 2048, 512, 1376),
      matmulCase(path, 512, 512, 512),
      attentionCase(path, 2048, 8, 8, 64),
      attentionCase(path, 2048, 8, 8, 32),
      attentionCase(path, 2048, 8, 4, 8),
      ...(quick ? [] : LONG_ATTENTION_SHAPES.map(([T, H, KV, hd]) => attentionCase(path, T, H, KV, hd))),
    );
  }
  // JS on smaller shapes: the same shapes would take tens of seconds.
  cases.push(
    matmulCase("js", 512, 512, 512),
    attentionCase("js", 1024, 8, 8, 64),
    attentionCase("js", 2048, 8, 4, 8),
  );
  return cases;
}

/** Options of {@linkcode benchCpuKernels}. */
export interface CpuBenchOptions {
  /** Warm calls per native/wasm case (JS: 1; cases over 100 GFLOP: 1). Default 3. */
  reps?: number;
  /** Cases to run. Default {@linkcode defaultCpuKernelCases}. */
  cases?: CpuKernelCase[];
  /**
   * Measures the fp32 peak again right before and right after each row (see {@linkcode measurePeakGflops});
   * the row's percentage is of the larger, so that on a machine shared with other work each row is compared
   * with what the cores gave around it. Default: the fixed peak.
   */
  peak?: () => number;
}

/**
 * The fp32 peak measured here, GFLOP/s: the native library's rk_fma_flops (12 register-only FMA chains
 * per thread on 8-float vectors, the width the kernels use, every OpenMP thread), best of `tries` runs
 * of ~20 ms each on a quiet machine (2 GFLOP per thread). Null without the native library.
 */
export function measurePeakGflops(tries = 3): number | null {
  const nk = nativeKernels();
  if (!nk) return null;
  let best = 0;
  for (let i = 0; i < tries; i++) {
    const t0 = performance.now();
    const flops = nk.rk_fma_flops(10_000_000);
    best = Math.max(best, flops / (performance.now() - t0) / 1e6);
  }
  return best;
}

/**
 * Times each case, then checks the output of its last timed call against the reference; throws a
 * BenchValidationError naming path, kernel, shape and max error on a mismatch. Call
 * `await wasmReady()` first so the wasm rows run on every thread.
 */
export function benchCpuKernels(peakGflops: number, opts: CpuBenchOptions = {}): CpuKernelResult[] {
  const reps = opts.reps ?? 3;
  return (opts.cases ?? defaultCpuKernelCases()).map((c) => {
    const before = opts.peak?.();
    const { coldMs, warmMs } = time(c.run, c.path === "js" || c.flop > 1e11 ? 1 : reps);
    // The larger of the peaks measured just before and just after: load that came and went during
    // one of them does not shrink the yardstick.
    const peak = before === undefined ? peakGflops : Math.max(before, opts.peak!());
    const validation = c.ref && validateOutput(`${c.path} ${c.name} ${c.shape}`, c.out, c.ref);
    const gflops = c.flop / warmMs / 1e6;
    return {
      path: c.path,
      name: c.name,
      shape: c.shape,
      coldMs,
      warmMs,
      gflops,
      peakGflops: peak,
      pctPeak: 100 * gflops / peak,
      validation,
    };
  });
}
