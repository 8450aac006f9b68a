/**
 * Convenience wrappers for tests and one-off use: upload inputs, encode one kernel, submit, read the
 * result back, free the buffers. Each call costs a submit and a map (≥10 ms on software adapters);
 * a model forward pass should use the `encode*` functions on one encoder instead. Each takes its op's
 * argument type from `kernels/cpu` on host arrays, less the output it returns, so a test hands the same
 * object to the reference and to the GPU.
 *
 * @module
 */
import { type GpuContext, type HostArray, readBuffer, upload } from "../../kernels/gpu/context.ts";
import { encodeMatmul } from "../../kernels/gpu/matmul.ts";
import { encodeAttention } from "../../kernels/gpu/attention.ts";
import { type AttentionArgs, documentStarts } from "../../kernels/cpu/attention.ts";
import type {
  AddArgs,
  EmbedArgs,
  LogitsNllArgs,
  MatmulArgs,
  RmsnormArgs,
  RopeArgs,
  SwigluArgs,
} from "../../kernels/cpu/mod.ts";
import {
  encodeAdd,
  encodeEmbed,
  encodeRmsnorm,
  encodeRope,
  encodeSwiglu,
} from "../../kernels/gpu/elementwise.ts";
import { encodeLogitsNll } from "../../kernels/gpu/logits.ts";
import { checkRopeApply, ropeCosSinTable } from "../../kernels/rope_apply.ts";

import type { GpuKernelVariant } from "../../kernels/gpu/variant.ts";

type F32 = Float32Array<ArrayBuffer>;

/** Uploads `inputs`, lets `encode` record work writing an output of `outFloats` floats, returns it. */
export async function runKernel(
  ctx: GpuContext,
  inputs: (HostArray | undefined)[],
  outFloats: number,
  encode: (enc: GPUCommandEncoder, ins: (GPUBuffer | undefined)[], out: GPUBuffer) => void,
  outInit?: Float32Array<ArrayBuffer>,
): Promise<Float32Array> {
  const ins = inputs.map((a) => a && upload(ctx, a));
  const out = outInit ? upload(ctx, outInit) : ctx.acquire(outFloats * 4);
  try {
    const enc = ctx.device.createCommandEncoder();
    encode(enc, ins, out);
    ctx.device.queue.submit([enc.finish()]);
    await ctx.checkErrors();
    return new Float32Array(await readBuffer(ctx, out, outFloats * 4));
  } finally {
    ins.forEach((b) => b?.destroy());
    if (outInit) out.destroy();
    else ctx.release(out);
  }
}

/** GPU matmul of host arrays (see {@linkcode encodeMatmul}); `wF16` uploads w as float16. */
export function runMatmul(
  ctx: GpuContext,
  { x, w, bias, T, K, N }: Omit<MatmulArgs<F32>, "out">,
  wF16 = false,
  variant?: GpuKernelVariant,
): Promise<Float32Array> {
  const wHost = wF16 ? toF16Bits(w) : w;
  return runKernel(
    ctx,
    [x, wHost, bias],
    T * N,
    (enc, [bx, bw, bb], out) =>
      encodeMatmul(ctx, enc, { x: bx!, w: bw!, out, bias: bb, T, K, N, wF16 }, variant),
  );
}

/** float32 values as float16 bit patterns (round to nearest even), ready to upload. */
export function toF16Bits(a: Float32Array): Uint16Array<ArrayBuffer> {
  return new Uint16Array(new Float16Array(a).buffer);
}

/** GPU causal attention of host arrays (see {@linkcode encodeAttention}); `variant` forces a kernel. */
export function runAttention(
  ctx: GpuContext,
  a: Omit<AttentionArgs<F32>, "out">,
  variant?: GpuKernelVariant,
): Promise<Float32Array> {
  const { q, k, v, T, nHeads, nKvHeads, headDim } = a;
  const starts = a.docStarts && documentStarts(T, a.docStarts) as Int32Array<ArrayBuffer>;
  return runKernel(
    ctx,
    [q, k, v, starts],
    T * nHeads * headDim,
    (enc, [bq, bk, bv, bs], out) =>
      encodeAttention(ctx, enc, {
        q: bq!,
        k: bk!,
        v: bv!,
        out,
        T,
        nHeads,
        nKvHeads,
        headDim,
        softmaxScale: a.softmaxScale,
        window: a.window,
        rowStart: bs,
      }, variant),
  );
}

/** GPU RoPE of a host array (returns the rotated copy; see {@linkcode encodeRope}). */
export function runRope(
  ctx: GpuContext,
  { x, T, nHeads, headDim, rope: p }: RopeArgs<F32>,
): Promise<Float32Array> {
  checkRopeApply(p, headDim, T);
  const shape = { T, nHeads, headDim, rotaryDim: p.rotaryDim, pairing: p.pairing };
  return runKernel(
    ctx,
    [ropeCosSinTable(p, T)],
    x.length,
    (enc, [cs], out) => encodeRope(ctx, enc, { ...shape, x: out, cosSin: cs! }),
    x,
  );
}

/** GPU RMSNorm of host arrays. */
export function runRmsnorm(
  ctx: GpuContext,
  { x, weight, T, D, eps }: Omit<RmsnormArgs<F32>, "out">,
): Promise<Float32Array> {
  return runKernel(
    ctx,
    [x, weight],
    T * D,
    (enc, [bx, bw], out) => encodeRmsnorm(ctx, enc, { out, x: bx!, weight: bw!, T, D, eps }),
  );
}

/** GPU residual add of host arrays. */
export function runAdd(ctx: GpuContext, { a, b, n }: Omit<AddArgs<F32>, "out">) {
  return runKernel(
    ctx,
    [a, b],
    n,
    (enc, [ba, bb], out) => encodeAdd(ctx, enc, { out, a: ba!, b: bb!, n }),
  );
}

/** GPU SwiGLU of host arrays. */
export function runSwiglu(ctx: GpuContext, { gate, up, n }: Omit<SwigluArgs<F32>, "out">) {
  return runKernel(
    ctx,
    [gate, up],
    n,
    (enc, [g, u], out) => encodeSwiglu(ctx, enc, { out, gate: g!, up: u!, n }),
  );
}

/** GPU embedding gather of host arrays. */
export function runEmbed(ctx: GpuContext, { table, tokens, D }: Omit<EmbedArgs<F32>, "out">) {
  return runKernel(
    ctx,
    [table, Int32Array.from(tokens)],
    tokens.length * D,
    (enc, [bt, bi], out) => encodeEmbed(ctx, enc, { out, table: bt!, tokens: bi!, T: tokens.length, D }),
  );
}

/** GPU per-token NLL of host arrays (see {@linkcode encodeLogitsNll}). */
export async function runLogitsNll(
  ctx: GpuContext,
  { hidden, wcls, targets, T, D, V }: LogitsNllArgs<F32>,
): Promise<Float32Array> {
  let scratch: { done(): void } | undefined;
  const nll = await runKernel(ctx, [hidden, wcls, Int32Array.from(targets)], T, (enc, [bh, bw, bt], out) => {
    scratch = encodeLogitsNll(ctx, enc, { hidden: bh!, wcls: bw!, targets: bt!, nll: out, T, D, V });
  });
  scratch?.done();
  return nll;
}
