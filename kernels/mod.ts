/**
 * ropekit kernels: CPU references (`*Ref`) and WebGPU compute kernels that match them.
 *
 * The GPU API is encoder-level: `encode*` functions record work into a caller's
 * `GPUCommandEncoder`, so a whole forward pass is one submission (each submit + wait costs ≥10 ms
 * on software adapters).
 *
 * @example
 * ```ts
 * import { encodeMatmul, getGpu, matmulRef } from "./mod.ts";
 *
 * const ctx = await getGpu();
 * if (ctx) {
 *   const x = ctx.acquire(4 * 2 * 3), w = ctx.acquire(4 * 5 * 3), out = ctx.acquire(4 * 2 * 5);
 *   const enc = ctx.device.createCommandEncoder();
 *   encodeMatmul(ctx, enc, { x, w, out, T: 2, K: 3, N: 5 }); // … more encode* calls …
 *   ctx.device.queue.submit([enc.finish()]);
 *   await ctx.checkErrors();
 * } else {
 *   const out = new Float32Array(2 * 5);
 *   matmulRef({ out, x: new Float32Array(6), w: new Float32Array(15), T: 2, K: 3, N: 5 });
 * }
 * ```
 *
 * @module
 */
export * from "./cpu/mod.ts";
export { createGpu, getGpu, type GpuContext, type HostArray, readBuffer, upload } from "./gpu/context.ts";
export { encodeMatmul, type GpuMatmulArgs } from "./gpu/matmul.ts";
export { encodeAttention, type GpuAttentionArgs } from "./gpu/attention.ts";
export {
  encodeAdd,
  encodeEmbed,
  encodeGegluTanh,
  encodeRmsnorm,
  encodeRope,
  encodeSwiglu,
  type GpuEmbedArgs,
  type GpuRopeArgs,
} from "./gpu/elementwise.ts";
export {
  encodeLogitsNll,
  encodeNllFinish,
  encodeNllFold,
  type GpuLogitsNllArgs,
  vocabChunk,
} from "./gpu/logits.ts";
export {
  embedBackwardIndex,
  encodeEmbedBackward,
  encodeLogitsNllBackward,
  encodeMatmulBackward,
  encodeRmsnormBackward,
  encodeRopeBackward,
  encodeSwigluBackward,
  type GpuLogitsNllBackwardArgs,
  type GpuMatmulBackwardArgs,
} from "./gpu/backward.ts";
export { encodeAttentionBackward, type GpuAttentionBackwardArgs } from "./gpu/attention_backward.ts";
