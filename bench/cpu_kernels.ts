/**
 * GFLOP/s of the CPU kernels the model runs on: native (C via FFI), WebAssembly (the same C source,
 * kernels/wasm) and JS, matmul and attention, against the machine's fp32 peak. Cold = first call (for
 * native and wasm matmul: includes packing the weights; for wasm also V8's first, baseline-compiled
 * run); warm = best of `reps` later calls. The wasm cases keep their arrays in WebAssembly memory,
 * as the wasm backend does.
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

type Path = "native" | "wasm" | "js";

/** One measured CPU kernel. */
export interface CpuKernelResult {
  path: Path;
  name: string;
  shape: string;
  coldMs: number;
  warmMs: number;
  gflops: number;
  pctPeak: number;
}

/** n seeded values in [−1, 1), in `nk`'s memory when given (the wasm kernels then read them in place). */
function rand(n: number, seed: number, nk?: NativeSymbols): Float32Array {
  const a = nk ? kernelFloats(nk, n) : new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
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

function matmulCase(path: Path, T: number, K: number, N: number) {
  const nk = kernelsOf(path);
  const x = rand(T * K, 1, nk),
    w = rand(N * K, 2),
    out = nk ? kernelFloats(nk, T * N) : new Float32Array(T * N);
  const run = nk ? () => matmulNative({ out, x, w, T, K, N }, nk) : () => matmulRef({ out, x, w, T, K, N });
  return { path, name: "matmul", shape: `${T}×${K}×${N}`, flop: 2 * T * K * N, run };
}

function attentionCase(path: Path, T: number, H: number, KV: number, hd: number) {
  const nk = kernelsOf(path);
  const q = rand(T * H * hd, 3, nk), k = rand(T * KV * hd, 4, nk), v = rand(T * KV * hd, 5, nk);
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
  };
}

/**
 * Native and wasm (when they load) and JS kernels on the shapes of bench/kernels.ts and stories260K's
 * attention. Call `await wasmReady()` first so the wasm rows run on every thread.
 */
export function benchCpuKernels(peakGflops: number, reps = 3): CpuKernelResult[] {
  const cases = [];
  for (const path of ["native", "wasm"] as const) {
    if (!kernelsOf(path)) continue;
    cases.push(
      matmulCase(path, 2048, 512, 1376),
      matmulCase(path, 512, 512, 512),
      attentionCase(path, 2048, 8, 8, 64),
      attentionCase(path, 2048, 8, 4, 8),
    );
  }
  // JS on smaller shapes: the same shapes would take tens of seconds.
  cases.push(
    matmulCase("js", 512, 512, 512),
    attentionCase("js", 1024, 8, 8, 64),
    attentionCase("js", 2048, 8, 4, 8),
  );
  return cases.map((c) => {
    const { coldMs, warmMs } = time(c.run, c.path === "js" ? 1 : reps);
    const gflops = c.flop / warmMs / 1e6;
    return {
      path: c.path,
      name: c.name,
      shape: c.shape,
      coldMs,
      warmMs,
      gflops,
      pctPeak: 100 * gflops / peakGflops,
    };
  });
}
