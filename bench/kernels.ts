/**
 * Kernel benchmark: GFLOP/s of the WGSL matmul and flash attention against the machine's fp32 peak,
 * with cold time (first call: WGSL compile + run) reported apart from warm time. Warm is the best of
 * WARM_ROUNDS submissions (the machine is shared: a neighbour's burst during one round should not decide a
 * ratio), each of at least `reps` calls and of enough calls to last FLOOR_MULTIPLE times the submit-and-wait
 * floor, divided by the calls. The floor is an empty submission's time: ~10 ms here, which looks like a
 * 10 ms poll (every submission's end is seen up to that late), so it is amortised rather than subtracted;
 * on a GPU a kernel call can take less than the floor, and the calls per submission then run into the
 * hundreds. The kernels run on uploaded seeded random inputs; after timing, their output is read back and checked against matmulRef / causalAttentionRef at the same shape
 * (bench/validate.ts), and a mismatch throws.
 *
 * Peak is not measured: a TS/Wasm FMA loop does not reach it. It is the documented constant
 * {@linkcode MACHINE_PEAK_GFLOPS} (AVX2 FMA, 2 cores), overridable with ROPEKIT_PEAK_GFLOPS. What
 * is measured is the "shader FMA ceiling": a WGSL kernel doing only register FMAs, i.e. what the
 * adapter can reach with no memory traffic at all.
 *
 * Both kernel families run (kernels/gpu/variant.ts: "registers" for software adapters, "tiled" for
 * GPUs); `chosen` marks the one the adapter gets, and each row is also given as a percentage of the
 * FMA ceiling of the same run.
 *
 *   DENO_WEBGPU_BACKEND=vulkan deno run -A bench/kernels.ts [--json] [--only matmul,attention] [--reps 2]
 *
 * @module
 */
import { createGpu, type GpuContext, readBuffer, upload } from "../kernels/gpu/context.ts";
import { encodeMatmul, matmulKernel } from "../kernels/gpu/matmul.ts";
import { attentionKernel, encodeAttention } from "../kernels/gpu/attention.ts";
import { type GpuKernelVariant, gpuKernelVariant } from "../kernels/gpu/variant.ts";
import {
  attentionReference,
  describeValidation,
  matmulReference,
  type ReferenceCase,
  validateOutput,
  type Validation,
} from "./validate.ts";

/**
 * fp32 peak of the reference machine on 8-float vectors (2 cores × 2 AVX2 FMA units × 8 lanes × 2 flops ×
 * ~3.66 GHz): the fallback when no native library can measure it; the measured peak uses the kernels' widest
 * vectors (16 floats where the CPU has AVX-512).
 */
export const MACHINE_PEAK_GFLOPS = 234;

/** What the FMA-ceiling row (no output to compare) prints instead of its check. */
export const NO_CHECK = "(not checked: register-only FMAs, no reference)";

/** One measured kernel. */
export interface Result {
  name: string;
  shape: string;
  /** The kernel within the family that ran, where the family has several (matmul "texel 32×32", attention "texel R16", …). */
  kernel?: string;
  gflop: number;
  coldMs: number;
  /** Per call (see the module comment). */
  warmMs: number;
  /** Calls per timed submission. */
  warmCalls: number;
  /** The submit-and-wait floor of this run (ms), which sets the calls per submission. */
  submitFloorMs: number;
  gflops: number;
  /** Percent of the peak (MACHINE_PEAK_GFLOPS or ROPEKIT_PEAK_GFLOPS). */
  pctPeak: number;
  /** Percent of the adapter's register-only FMA ceiling measured in the same run (null without that row). */
  pctCeiling: number | null;
  /** Whether kernels/gpu/variant.ts picks this row's kernel family on this adapter. */
  chosen: boolean;
  adapter: string;
  /** The check of the output read back after timing; null for the FMA ceiling (no reference). */
  validation: Validation | null;
}

/** Options of {@linkcode benchKernels}. */
export interface BenchOptions {
  /** Kernels to run: "fma", "matmul", "attention". Default all. */
  only?: string[];
  /** Warm repetitions per kernel. Default 2. */
  reps?: number;
  /** Small matmul and attention shapes (with tails) instead of the timed ones: for tests. */
  small?: boolean;
  /** Also attention at 8192 tokens (the GPU benchmark, `deno task bench --gpu`). */
  long?: boolean;
}

type Case = {
  name: string;
  shape: string;
  kernel?: (ctx: GpuContext) => string;
  flop: number;
  /** Inputs and the reference output, for cases that compute something checkable. */
  ref?: ReferenceCase;
  /** Encodes one call; `out` is the buffer to read back for the check. */
  setup(ctx: GpuContext): { encode: (enc: GPUCommandEncoder) => void; out: GPUBuffer; floats: number };
};

function peak(): number {
  const env = Deno.env.get("ROPEKIT_PEAK_GFLOPS");
  return env ? Number(env) : MACHINE_PEAK_GFLOPS;
}

function buffers(ctx: GpuContext, ...floats: number[]): GPUBuffer[] {
  return floats.map((n) => ctx.acquire(n * 4));
}

function matmulCase(T: number, K: number, N: number, variant: GpuKernelVariant): Case {
  const ref = matmulReference(T, K, N);
  return {
    name: `matmul ${variant}`,
    shape: `${T}×${K}×${N}`,
    kernel: (ctx) => matmulKernel(ctx, { T, K, N }, variant),
    flop: 2 * T * K * N,
    ref,
    setup(ctx) {
      const [x, w] = ref.inputs.map((a) => upload(ctx, a)), [out] = buffers(ctx, T * N);
      return {
        encode: (enc) => encodeMatmul(ctx, enc, { x, w, out, T, K, N }, variant),
        out,
        floats: T * N,
      };
    },
  };
}

function attentionCase(T: number, H: number, hd: number, variant: GpuKernelVariant): Case {
  const ref = attentionReference(T, H, H, hd);
  return {
    name: `attention ${variant}`,
    shape: `T${T} H${H} hd${hd}`,
    kernel: (ctx) => attentionKernel(ctx, { T, nKvHeads: H, headDim: hd }, variant),
    // QKᵀ and PV over the causal triangle: 2 · 2·hd flops per (query, key ≤ query) pair and head.
    flop: 4 * hd * H * (T * (T + 1)) / 2,
    ref,
    setup(ctx) {
      const [q, k, v] = ref.inputs.map((a) => upload(ctx, a)), [out] = buffers(ctx, T * H * hd);
      return {
        encode: (enc) =>
          encodeAttention(ctx, enc, { q, k, v, out, T, nHeads: H, nKvHeads: H, headDim: hd }, variant),
        out,
        floats: T * H * hd,
      };
    },
  };
}

/** Register-only FMAs: 32 independent chains per invocation, no loads. */
function fmaCase(): Case {
  const ACC = 32, ITER = 1024, GROUPS = 1024, WG = 64;
  const acc = [...Array(ACC).keys()];
  const code = `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = f32(gid.x) * 1e-9;
${acc.map((i) => `  var a${i} = f32(gid.x + ${i}u);`).join("\n")}
  for (var k = 0u; k < ${ITER}u; k++) {
${acc.map((i) => `    a${i} = fma(a${i}, 0.999, b);`).join("\n")}
  }
  out[gid.x] = ${acc.map((i) => `a${i}`).join(" + ")};
}`;
  return {
    name: "fma-ceiling",
    shape: `${GROUPS * WG} invocations × ${ACC * ITER} FMA`,
    flop: 2 * ACC * ITER * GROUPS * WG,
    setup(ctx) {
      const pipe = ctx.pipeline("bench fma", () => code);
      const [out] = buffers(ctx, GROUPS * WG);
      const group = ctx.device.createBindGroup({
        layout: pipe.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: out } }],
      });
      const encode = (enc: GPUCommandEncoder) => {
        const pass = enc.beginComputePass();
        pass.setPipeline(pipe);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(GROUPS);
        pass.end();
      };
      return { encode, out, floats: GROUPS * WG };
    },
  };
}

/** Submissions timed for a warm time; the fastest one is reported. */
const WARM_ROUNDS = 3;
/** A timed submission lasts at least this many times the submit-and-wait floor (so it adds ≤ 2%). */
const FLOOR_MULTIPLE = 50;

/**
 * ms from submitting `reps` calls in one submission to the queue reporting them done. Encoding is not
 * timed: on a GPU, recording a call (a bind group, a pass) can take longer than running it.
 */
async function submissionMs(
  ctx: GpuContext,
  encode: (enc: GPUCommandEncoder) => void,
  reps: number,
): Promise<number> {
  const enc = ctx.device.createCommandEncoder();
  for (let r = 0; r < reps; r++) encode(enc);
  const commands = enc.finish();
  const t0 = performance.now();
  ctx.device.queue.submit([commands]);
  await ctx.device.queue.onSubmittedWorkDone();
  await ctx.checkErrors();
  return performance.now() - t0;
}

/** ms of a first call from encoding on (so that it holds the WGSL compile) to the queue reporting it done. */
export async function coldMs(ctx: GpuContext, encode: (enc: GPUCommandEncoder) => void): Promise<number> {
  const t0 = performance.now();
  await submissionMs(ctx, encode, 1);
  return performance.now() - t0;
}

/** The submit-and-wait floor: the best of 5 empty submissions. */
export async function submitFloorMs(ctx: GpuContext): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 5; r++) best = Math.min(best, await submissionMs(ctx, () => {}, 0));
  return best;
}

/**
 * Warm ms per call: the best of WARM_ROUNDS submissions of at least `reps` calls, as many as make a
 * submission last `floorMultiple` × `floorMs` (see the module comment), divided by the calls.
 */
export async function warmTime(
  ctx: GpuContext,
  encode: (enc: GPUCommandEncoder) => void,
  reps: number,
  floorMs: number,
  floorMultiple = FLOOR_MULTIPLE,
): Promise<{ ms: number; calls: number }> {
  const first = await submissionMs(ctx, encode, reps);
  const perCall = Math.max((first - floorMs) / reps, 1e-3);
  const calls = Math.min(10_000, Math.max(reps, Math.ceil((floorMultiple * floorMs) / perCall)));
  let best = Infinity;
  for (let r = 0; r < WARM_ROUNDS; r++) best = Math.min(best, await submissionMs(ctx, encode, calls));
  return { ms: best / calls, calls };
}

/** Runs the benchmark on a fresh device (destroyed at the end); throws when there is no adapter. */
export async function benchKernels(opts: BenchOptions = {}): Promise<Result[]> {
  const ctx = await createGpu();
  if (!ctx) throw new Error("bench/kernels: no WebGPU adapter");
  const reps = opts.reps ?? 2;
  const variants: GpuKernelVariant[] = ["registers", "tiled"];
  const cases =
    (opts.small ? variants.flatMap((v) => [matmulCase(37, 70, 45, v), attentionCase(65, 4, 16, v)]) : [
      fmaCase(),
      ...variants.flatMap((v) => [
        matmulCase(2048, 512, 1376, v),
        matmulCase(512, 512, 512, v),
        attentionCase(2048, 8, 64, v),
        ...(opts.long ? [attentionCase(8192, 4, 64, v), attentionCase(8192, 4, 32, v)] : []),
      ]),
    ])
      .filter((c) => !opts.only || opts.only.some((o) => c.name.startsWith(o)));
  const results: Result[] = [];
  try {
    const floorMs = await submitFloorMs(ctx);
    for (const c of cases) {
      const { encode, out, floats } = c.setup(ctx);
      const cold = await coldMs(ctx, encode);
      // Small shapes are the tests' check of the outputs, not timings: no long submissions there.
      const { ms: warmMs, calls } = await warmTime(
        ctx,
        encode,
        reps,
        floorMs,
        opts.small ? 1 : FLOOR_MULTIPLE,
      );
      const validation = c.ref
        ? validateOutput(
          `webgpu ${c.name} ${c.shape}`,
          new Float32Array(await readBuffer(ctx, out, floats * 4)),
          c.ref,
        )
        : null;
      const gflops = c.flop / warmMs / 1e6;
      results.push({
        name: c.name,
        shape: c.shape,
        kernel: c.kernel?.(ctx),
        gflop: c.flop / 1e9,
        coldMs: cold,
        warmMs,
        warmCalls: calls,
        submitFloorMs: floorMs,
        gflops,
        pctPeak: (100 * gflops) / peak(),
        pctCeiling: null,
        chosen: c.name.endsWith(gpuKernelVariant(ctx)),
        adapter: `${ctx.description} (${ctx.backend})`,
        validation,
      });
    }
  } finally {
    ctx.destroy();
  }
  // Each kernel against the adapter's own FMA ceiling measured in this run: how well it feeds the ALUs.
  const ceiling = results.find((r) => r.name === "fma-ceiling")?.gflops;
  if (ceiling) { for (const r of results) r.pctCeiling = (100 * r.gflops) / ceiling; }
  return results;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const results = await benchKernels({ only: arg("--only")?.split(","), reps: Number(arg("--reps") ?? 2) });
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify({ peakGflops: peak(), results }, null, 2));
  } else {
    console.log(
      `peak ${peak()} GFLOP/s (${
        Deno.env.get("ROPEKIT_PEAK_GFLOPS") ? "ROPEKIT_PEAK_GFLOPS" : "documented constant"
      })`,
    );
    for (const r of results) {
      console.log(
        `${(r.kernel ? `${r.name} (${r.kernel})` : r.name).padEnd(12)} ${r.shape.padEnd(32)} cold ${
          r.coldMs.toFixed(0).padStart(6)
        } ms  warm ${r.warmMs.toFixed(1).padStart(8)} ms  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s  ${
          r.pctPeak.toFixed(1)
        }% of peak  ${r.pctCeiling === null ? "" : `${r.pctCeiling.toFixed(1)}% of the FMA ceiling  `}${
          describeValidation(r.validation, NO_CHECK)
        }`,
      );
    }
    console.log(`adapter: ${results[0]?.adapter}`);
  }
}
