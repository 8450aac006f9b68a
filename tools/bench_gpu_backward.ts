/**
 * Times the WGSL backward kernels (kernels/gpu/backward.ts, kernels/gpu/attention_backward.ts) at
 * llama-like shapes: cold (first call: WGSL compile + run) and warm (mean of `reps` calls encoded
 * into one submission), with GFLOP/s for the matmul and attention products. Buffers hold zeros: the
 * kernels' cost does not depend on the values.
 *
 *   DENO_WEBGPU_BACKEND=vulkan deno run -A tools/bench_gpu_backward.ts [--only matmul,attention] [--reps 2] [--T 512]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createGpu, type GpuContext, upload } from "../kernels/gpu/context.ts";
import {
  embedBackwardIndex,
  encodeEmbedBackward,
  encodeLogitsNllBackward,
  encodeMatmulBackward,
  encodeRmsnormBackward,
  encodeRopeBackward,
  encodeSwigluBackward,
} from "../kernels/gpu/backward.ts";
import { encodeAttentionBackward } from "../kernels/gpu/attention_backward.ts";

type Case = {
  name: string;
  shape: string;
  /** Multiply-add flops, 0 when the kernel is memory-bound and GFLOP/s would mean nothing. */
  flop: number;
  setup(ctx: GpuContext): (enc: GPUCommandEncoder) => { done(): void } | void;
};

function cases(T: number): Case[] {
  const D = 288, F = 768, H = 6, KV = 6, hd = 48, V = 512;
  const buf = (ctx: GpuContext, floats: number) => ctx.acquire(floats * 4);
  return [
    {
      name: "matmul",
      shape: `T${T} K${D} N${F} (dx, dW, dBias)`,
      flop: 2 * 2 * T * D * F,
      setup(ctx) {
        const [dOut, x, w, dx, dW, dBias] = [T * F, T * D, F * D, T * D, F * D, F].map((n) => buf(ctx, n));
        return (enc) => encodeMatmulBackward(ctx, enc, { dOut, x, w, dx, dW, dBias, T, K: D, N: F });
      },
    },
    {
      name: "attention",
      shape: `T${T} H${H}/${KV} hd${hd}`,
      // dq pass: q·k, dO·v, acc; dk/dv pass: q·k, dO·v, dv, dk — 7 · 2·hd flops per causal pair.
      flop: 7 * 2 * hd * H * (T * (T + 1)) / 2,
      setup(ctx) {
        const [q, dOut, out, dq] = [0, 1, 2, 3].map(() => buf(ctx, T * H * hd));
        const [k, v, dk, dv] = [0, 1, 2, 3].map(() => buf(ctx, T * KV * hd));
        return (enc) =>
          encodeAttentionBackward(ctx, enc, {
            dq,
            dk,
            dv,
            dOut,
            q,
            k,
            v,
            out,
            T,
            nHeads: H,
            nKvHeads: KV,
            headDim: hd,
          });
      },
    },
    {
      name: "rmsnorm",
      shape: `T${T} D${D}`,
      flop: 0,
      setup(ctx) {
        const [dx, dWeight, dOut, x, weight] = [T * D, D, T * D, T * D, D].map((n) => buf(ctx, n));
        return (enc) => encodeRmsnormBackward(ctx, enc, { dx, dWeight, dOut, x, weight, T, D, eps: 1e-5 });
      },
    },
    {
      name: "embed",
      shape: `T${T} D${D} V${V}`,
      flop: 0,
      setup(ctx) {
        const { index, rows } = embedBackwardIndex(Int32Array.from({ length: T }, (_, t) => (t * 37) % V), V);
        const [dTable, dOut] = [V * D, T * D].map((n) => buf(ctx, n));
        const ib = upload(ctx, index);
        return (enc) => encodeEmbedBackward(ctx, enc, { dTable, dOut, index: ib, rows, D });
      },
    },
    {
      name: "rope",
      shape: `T${T} H${H} hd${hd}`,
      flop: 0,
      setup(ctx) {
        const [d, cosSin] = [T * H * hd, T * hd].map((n) => buf(ctx, n));
        const shape = { T, nHeads: H, headDim: hd, rotaryDim: hd, pairing: "half" as const };
        return (enc) => encodeRopeBackward(ctx, enc, { ...shape, x: d, cosSin });
      },
    },
    {
      name: "swiglu",
      shape: `n${T * F}`,
      flop: 0,
      setup(ctx) {
        const n = T * F;
        const [dGate, dUp, dOut, gate, up] = [0, 1, 2, 3, 4].map(() => buf(ctx, n));
        return (enc) => encodeSwigluBackward(ctx, enc, { dGate, dUp, dOut, gate, up, n });
      },
    },
    {
      name: "logits",
      shape: `T${T} D${D} V${V}`,
      // logits (forward, twice when chunked) + dHidden + dWcls.
      flop: 3 * 2 * T * D * V,
      setup(ctx) {
        const [hidden, wcls, nll, dHidden, dWcls] = [T * D, V * D, T, T * D, V * D].map((n) => buf(ctx, n));
        const targets = upload(ctx, new Int32Array(T));
        return (enc) =>
          encodeLogitsNllBackward(ctx, enc, {
            hidden,
            wcls,
            targets,
            nll,
            dHidden,
            dWcls,
            T,
            D,
            V,
            lossScale: 1 / T,
          });
      },
    },
  ];
}

async function time(ctx: GpuContext, run: (enc: GPUCommandEncoder) => { done(): void } | void, reps: number) {
  const t0 = performance.now();
  const enc = ctx.device.createCommandEncoder();
  const scratch = [];
  for (let r = 0; r < reps; r++) scratch.push(run(enc));
  ctx.device.queue.submit([enc.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
  await ctx.checkErrors();
  scratch.forEach((s) => s?.done());
  return (performance.now() - t0) / reps;
}

if (import.meta.main) {
  const { values: args } = parseArgs({
    args: Deno.args,
    options: { only: { type: "string" }, reps: { type: "string" }, T: { type: "string" } },
  });
  const only = args.only?.split(",");
  const reps = Number(args.reps ?? 2), T = Number(args.T ?? 512);
  const ctx = await createGpu();
  if (!ctx) {
    console.log("no WebGPU adapter: nothing to time");
    Deno.exit(0);
  }
  for (const c of cases(T).filter((c) => !only || only.includes(c.name))) {
    const run = c.setup(ctx);
    const coldMs = await time(ctx, run, 1);
    const warmMs = await time(ctx, run, reps);
    const rate = c.flop ? `, ${(c.flop / warmMs / 1e6).toFixed(2)} GFLOP/s` : "";
    console.log(`${c.name} ${c.shape}: cold ${coldMs.toFixed(1)} ms, warm ${warmMs.toFixed(1)} ms${rate}`);
  }
  ctx.destroy();
}
