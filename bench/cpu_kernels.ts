/**
 * GFLOP/s of the CPU kernels the model runs on: native (C via FFI) and JS, matmul and attention,
 * against the machine's fp32 peak. Cold = first call (for native matmul: includes packing the
 * weights); warm = best of `reps` later calls.
 *
 * @module
 */
import { matmulRef } from "../kernels/cpu/matmul.ts";
import { causalAttentionFast } from "../kernels/cpu/attention_fast.ts";
import { causalAttentionNative, matmulNative, nativeKernels } from "../kernels/native/mod.ts";

/** One measured CPU kernel. */
export interface CpuKernelResult {
  path: "native" | "js";
  name: string;
  shape: string;
  coldMs: number;
  warmMs: number;
  gflops: number;
  pctPeak: number;
}

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
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

function matmulCase(path: "native" | "js", T: number, K: number, N: number) {
  const x = rand(T * K, 1), w = rand(N * K, 2), out = new Float32Array(T * N);
  const f = path === "native" ? matmulNative : matmulRef;
  return { name: "matmul", shape: `${T}×${K}×${N}`, flop: 2 * T * K * N, run: () => f(out, x, w, T, K, N) };
}

function attentionCase(path: "native" | "js", T: number, H: number, KV: number, hd: number) {
  const q = rand(T * H * hd, 3), k = rand(T * KV * hd, 4), v = rand(T * KV * hd, 5);
  const out = new Float32Array(T * H * hd);
  const f = path === "native" ? causalAttentionNative : causalAttentionFast;
  return {
    name: "attention",
    shape: `T${T} H${H}/${KV} hd${hd}`,
    // QKᵀ and PV over the causal triangle, as bench/kernels.ts counts them.
    flop: 4 * hd * H * (T * (T + 1)) / 2,
    run: () => f(out, q, k, v, T, H, KV, hd),
  };
}

/** Native (when loaded) and JS kernels on the shapes of bench/kernels.ts and stories260K's attention. */
export function benchCpuKernels(peakGflops: number, reps = 3): CpuKernelResult[] {
  const cases = [];
  if (nativeKernels()) {
    cases.push(
      { path: "native" as const, ...matmulCase("native", 2048, 512, 1376) },
      { path: "native" as const, ...matmulCase("native", 512, 512, 512) },
      { path: "native" as const, ...attentionCase("native", 2048, 8, 8, 64) },
      { path: "native" as const, ...attentionCase("native", 2048, 8, 4, 8) },
    );
  }
  // JS on smaller shapes: the same shapes would take tens of seconds.
  cases.push(
    { path: "js" as const, ...matmulCase("js", 512, 512, 512) },
    { path: "js" as const, ...attentionCase("js", 1024, 8, 8, 64) },
    { path: "js" as const, ...attentionCase("js", 2048, 8, 4, 8) },
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
