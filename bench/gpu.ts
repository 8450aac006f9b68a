/**
 * The prepared GPU benchmark, `deno task bench --gpu [--json]`: the WebGPU kernels (both kernel
 * families, each checked against the CPU reference; attention also at 8192 tokens), the adapter's own
 * FMA ceiling, and one NLL pass of the default model (facts837K, YaRN) at 8192 and 32768 tokens on the
 * WebGPU backend, the 8192 one compared with the native CPU backend on the same tokens. Sized to finish
 * in a few minutes on a machine with a GPU; on this project's software adapter it is slow.
 *
 * @module
 */
import { benchKernels, type Result } from "./kernels.ts";
import { loadModel } from "../model/load_model.ts";
import { WebGpuBackend } from "../model/webgpu_backend.ts";
import { nativeBackend } from "../model/native_backend.ts";
import { DEFAULT_MODEL } from "../compare/defaults.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";

/** One NLL pass on the GPU backend. */
export interface GpuNllRow {
  length: number;
  backend: string;
  /** The timed pass (after a short one that compiles the shaders and uploads the weights). */
  seconds: number;
  tokensPerS: number;
  meanNll: number;
  /** Max per-token |gpu − native| / max(|native|, 1) on the same tokens (first length only), or why not. */
  vsNative: number | string;
}

/** What `bench --gpu` reports. */
export interface GpuBench {
  adapter: string;
  kernels: Result[];
  nll: GpuNllRow[];
}

function windowIds(n: number, vocab: number, bos: number): number[] {
  let s = 99;
  const ids = [bos];
  while (ids.length < n) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    ids.push(3 + (s % (vocab - 3)));
  }
  return ids;
}

/** Options of {@linkcode benchGpu} (the defaults are the prepared run; tests make it small). */
export interface GpuBenchOptions {
  /** NLL window lengths; the first is compared with the native backend. Default [8192, 32768]. */
  lengths?: number[];
  /** Small kernel shapes instead of the timed ones (bench/kernels.ts's `small`). */
  smallKernels?: boolean;
}

/** Runs the GPU benchmark; throws when there is no WebGPU adapter. */
export async function benchGpu(log: (s: string) => void, opts: GpuBenchOptions = {}): Promise<GpuBench> {
  const lengths = opts.lengths ?? [8192, 32768];
  const kernels = await benchKernels(opts.smallKernels ? { reps: 1, small: true } : { reps: 2, long: true });
  const gpu = await WebGpuBackend.create();
  if (!gpu) throw new Error("bench --gpu: no WebGPU adapter");
  const model = await loadModel(DEFAULT_MODEL, { backend: gpu });
  const yarn = builtinRegistry().get("yarn");
  const nll: GpuNllRow[] = [];
  await model.nll(
    [windowIds(257, model.config.vocabSize, model.tokenizer.bosId)],
    await buildTable(yarn, model.spec, {}),
  );
  for (const length of lengths) {
    const ids = windowIds(length + 1, model.config.vocabSize, model.tokenizer.bosId);
    const table = await buildTable(yarn, model.spec, { targetLength: length, seqLen: length });
    const r = await model.nll([ids], table);
    const got = r.nll[0];
    let vsNative: number | string = `compared at ${lengths[0]} only`;
    if (length === lengths[0]) {
      const native = nativeBackend();
      if (!native) vsNative = "native backend unavailable";
      else {
        const cpu = await loadModel(DEFAULT_MODEL, { backend: native });
        const want = (await cpu.nll([ids], table)).nll[0];
        vsNative = 0;
        for (let i = 0; i < want.length; i++) {
          vsNative = Math.max(vsNative, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1));
        }
      }
    }
    const row = {
      length,
      backend: gpu.name,
      seconds: r.seconds,
      tokensPerS: length / r.seconds,
      meanNll: got.reduce((a, b) => a + b, 0) / got.length,
      vsNative,
    };
    log(
      `gpu facts837K@${length} (YaRN) ${row.backend}: ${row.seconds.toFixed(2)} s, ${
        row.tokensPerS.toFixed(0)
      } tok/s, mean NLL ${row.meanNll.toFixed(3)}${
        typeof vsNative === "number" ? `, max per-token rel vs native ${vsNative.toExponential(1)}` : ""
      }`,
    );
    nll.push(row);
  }
  return { adapter: gpu.ctx.description, kernels, nll };
}
