/**
 * Convenience wrappers for tests and one-off use: upload inputs, encode one kernel, submit, read the
 * result back, free the buffers. Each call costs a submit and a map (≥10 ms on software adapters);
 * a model forward pass should use the `encode*` functions on one encoder instead.
 *
 * @module
 */
import { type GpuContext, type HostArray, readBuffer, upload } from "./context.ts";
import { encodeMatmul } from "./matmul.ts";
import { encodeAttention } from "./attention.ts";
import { documentStarts } from "../cpu/attention.ts";

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

/** GPU matmul of host arrays (see {@linkcode encodeMatmul}). */
export function runMatmul(
  ctx: GpuContext,
  x: Float32Array<ArrayBuffer>,
  w: Float32Array<ArrayBuffer>,
  T: number,
  K: number,
  N: number,
  bias?: Float32Array<ArrayBuffer>,
): Promise<Float32Array> {
  return runKernel(
    ctx,
    [x, w, bias],
    T * N,
    (enc, [bx, bw, bb], out) => encodeMatmul(ctx, enc, { x: bx!, w: bw!, out, bias: bb, T, K, N }),
  );
}

/** GPU causal attention of host arrays (see {@linkcode encodeAttention}). */
export function runAttention(
  ctx: GpuContext,
  q: Float32Array<ArrayBuffer>,
  k: Float32Array<ArrayBuffer>,
  v: Float32Array<ArrayBuffer>,
  T: number,
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  opts: { softmaxScale?: number; docStarts?: Int32Array } = {},
): Promise<Float32Array> {
  const starts = opts.docStarts && documentStarts(T, opts.docStarts) as Int32Array<ArrayBuffer>;
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
        softmaxScale: opts.softmaxScale,
        rowStart: bs,
      }),
  );
}
