/**
 * Host-array wrappers of the backward kernels, for tests and one-off use: upload the inputs and the
 * initial gradients, encode one backward op, submit, read every gradient back, free the buffers.
 * Each takes its op's argument type from `kernels/cpu/*_backward.ts` on host arrays, but the gradients passed
 * in are initial values (not modified); the accumulated gradients are returned.
 *
 * @module
 */
import { type GpuContext, type HostArray, readBuffer, upload } from "../../kernels/gpu/context.ts";
import { documentStarts } from "../../kernels/cpu/attention.ts";
import type {
  AttentionBackwardArgs,
  EmbedBackwardArgs,
  LogitsNllBackwardArgs,
  MatmulBackwardArgs,
  RmsnormBackwardArgs,
  RopeArgs,
  SwigluBackwardArgs,
} from "../../kernels/cpu/mod.ts";
import { checkRopeApply, ropeCosSinTable } from "../../kernels/rope_apply.ts";
import {
  embedBackwardIndex,
  encodeEmbedBackward,
  encodeLogitsNllBackward,
  encodeMatmulBackward,
  encodeRmsnormBackward,
  encodeRopeBackward,
  encodeSwigluBackward,
} from "../../kernels/gpu/backward.ts";
import { encodeAttentionBackward } from "../../kernels/gpu/attention_backward.ts";

type F32 = Float32Array<ArrayBuffer>;

/**
 * Uploads `inputs` and `grads` (initial values), lets `encode` record work on them, returns the
 * `grads` buffers read back. `encode` may return scratch to release after the submission.
 */
export async function runBackward(
  ctx: GpuContext,
  inputs: (HostArray | undefined)[],
  grads: F32[],
  encode: (
    enc: GPUCommandEncoder,
    ins: (GPUBuffer | undefined)[],
    outs: GPUBuffer[],
  ) => { done(): void } | void,
): Promise<Float32Array[]> {
  const ins = inputs.map((a) => a && upload(ctx, a));
  const outs = grads.map((g) => upload(ctx, g));
  try {
    const enc = ctx.device.createCommandEncoder();
    const scratch = encode(enc, ins, outs);
    ctx.device.queue.submit([enc.finish()]);
    await ctx.checkErrors();
    const back = [];
    for (let i = 0; i < outs.length; i++) {
      back.push(new Float32Array(await readBuffer(ctx, outs[i], grads[i].byteLength)));
    }
    scratch?.done();
    return back;
  } finally {
    ins.forEach((b) => b?.destroy());
    outs.forEach((b) => b.destroy());
  }
}

/** GPU matmul backward: returns dx (when given), dW, dBias (when given), accumulated. */
export async function runMatmulBackward(
  ctx: GpuContext,
  { dx, dW, dBias, dOut, x, w, T, K, N }: MatmulBackwardArgs<F32>,
): Promise<{ dx?: Float32Array; dW: Float32Array; dBias?: Float32Array }> {
  const grads = [dW, ...(dx ? [dx] : []), ...(dBias ? [dBias] : [])];
  const [gW, ...rest] = await runBackward(
    ctx,
    [dOut, x, w],
    grads,
    (enc, [bo, bx, bw], outs) =>
      encodeMatmulBackward(ctx, enc, {
        dOut: bo!,
        x: bx!,
        w: bw!,
        dW: outs[0],
        dx: dx ? outs[1] : undefined,
        dBias: dBias ? outs[dx ? 2 : 1] : undefined,
        T,
        K,
        N,
      }),
  );
  return { dW: gW, dx: dx ? rest[0] : undefined, dBias: dBias ? rest[dx ? 1 : 0] : undefined };
}

/** GPU RMSNorm backward: returns dx and dWeight, accumulated. */
export async function runRmsnormBackward(
  ctx: GpuContext,
  { dx, dWeight, dOut, x, weight, T, D, eps }: RmsnormBackwardArgs<F32>,
): Promise<{ dx: Float32Array; dWeight: Float32Array }> {
  const [gx, gw] = await runBackward(
    ctx,
    [dOut, x, weight],
    [dx, dWeight],
    (enc, [bo, bx, bw], [ox, ow]) =>
      encodeRmsnormBackward(ctx, enc, { dx: ox, dWeight: ow, dOut: bo!, x: bx!, weight: bw!, T, D, eps }),
  );
  return { dx: gx, dWeight: gw };
}

/** GPU embedding backward: returns dTable (V rows of D) with dOut scattered into it. */
export async function runEmbedBackward(
  ctx: GpuContext,
  { dTable, dOut, tokens, D }: EmbedBackwardArgs<F32>,
): Promise<Float32Array> {
  const { index, rows } = embedBackwardIndex(tokens, dTable.length / D);
  const [g] = await runBackward(
    ctx,
    [dOut, index],
    [dTable],
    (enc, [bo, bi], [ot]) => encodeEmbedBackward(ctx, enc, { dTable: ot, dOut: bo!, index: bi!, rows, D }),
  );
  return g;
}

/** GPU RoPE backward: returns the input gradient for the output gradient `x` (not modified). */
export async function runRopeBackward(
  ctx: GpuContext,
  { x: d, T, nHeads, headDim, rope: p }: Omit<RopeArgs<F32>, "transpose">,
): Promise<Float32Array> {
  checkRopeApply(p, headDim, T);
  const shape = { T, nHeads, headDim, rotaryDim: p.rotaryDim, pairing: p.pairing };
  const [g] = await runBackward(
    ctx,
    [ropeCosSinTable(p, T)],
    [d],
    (enc, [cs], [od]) => encodeRopeBackward(ctx, enc, { ...shape, x: od, cosSin: cs! }),
  );
  return g;
}

/** GPU attention backward: returns dq, dk, dv, accumulated. */
export async function runAttentionBackward(
  ctx: GpuContext,
  a: AttentionBackwardArgs<F32>,
): Promise<{ dq: Float32Array; dk: Float32Array; dv: Float32Array }> {
  const { dq, dk, dv, dOut, q, k, v, out, T, nHeads, nKvHeads, headDim } = a;
  const starts = a.docStarts && documentStarts(T, a.docStarts) as Int32Array<ArrayBuffer>;
  const [gq, gk, gv] = await runBackward(
    ctx,
    [dOut, q, k, v, out, starts],
    [dq, dk, dv],
    (enc, [bo, bq, bk, bv, bout, bs], [oq, ok, ov]) =>
      encodeAttentionBackward(ctx, enc, {
        dq: oq,
        dk: ok,
        dv: ov,
        dOut: bo!,
        q: bq!,
        k: bk!,
        v: bv!,
        out: bout!,
        T,
        nHeads,
        nKvHeads,
        headDim,
        softmaxScale: a.softmaxScale,
        rowStart: bs,
      }),
  );
  return { dq: gq, dk: gk, dv: gv };
}

/** GPU SwiGLU backward: returns dGate and dUp, accumulated. */
export async function runSwigluBackward(
  ctx: GpuContext,
  { dGate, dUp, dOut, gate, up, n }: SwigluBackwardArgs<F32>,
): Promise<{ dGate: Float32Array; dUp: Float32Array }> {
  const [gg, gu] = await runBackward(
    ctx,
    [dOut, gate, up],
    [dGate, dUp],
    (enc, [bo, bg, bu], [og, ou]) =>
      encodeSwigluBackward(ctx, enc, { dGate: og, dUp: ou, dOut: bo!, gate: bg!, up: bu!, n }),
  );
  return { dGate: gg, dUp: gu };
}

/** GPU LM head + NLL backward: returns nll and dHidden, dWcls accumulated (`chunk`: vocabulary rows per chunk). */
export async function runLogitsNllBackward(
  ctx: GpuContext,
  { dHidden, dWcls, hidden, wcls, targets, T, D, V, lossScale }: LogitsNllBackwardArgs<F32>,
  chunk?: number,
): Promise<{ nll: Float32Array; dHidden: Float32Array; dWcls: Float32Array }> {
  for (let t = 0; t < T; t++) {
    if (!(targets[t] >= 0 && targets[t] < V)) {
      throw new RangeError(`target ${targets[t]} at ${t} is outside [0, ${V})`);
    }
  }
  const [nll, gh, gw] = await runBackward(
    ctx,
    [hidden, wcls, Int32Array.from(targets)],
    [new Float32Array(T), dHidden, dWcls],
    (enc, [bh, bw, bt], [on, oh, ow]) =>
      encodeLogitsNllBackward(ctx, enc, {
        hidden: bh!,
        wcls: bw!,
        targets: bt!,
        nll: on,
        dHidden: oh,
        dWcls: ow,
        T,
        D,
        V,
        lossScale,
        chunk,
      }),
  );
  return { nll, dHidden: gh, dWcls: gw };
}
