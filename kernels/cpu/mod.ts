/**
 * CPU references of every kernel: plain TypeScript on Float32Array, row-major, weights [out][in].
 * They define what the GPU kernels must compute and are the model runner's CPU fallback. Each op's
 * argument type (`MatmulArgs`, …, generic over the buffer type) is exported beside it and taken, as one
 * object, by the native/WebAssembly and WebGPU versions too.
 *
 * @module
 */
export { type MatmulArgs, matmulRef } from "./matmul.ts";
export { type AnyMatrix, type EncodedMatrix, matmulAnyRef, matmulEncodedRef } from "./matmul_encoded.ts";
export { type RmsnormArgs, rmsnormRef } from "./rmsnorm.ts";
export { type EmbedArgs, embedRef } from "./embed.ts";
export { type RopeArgs, ropeRef, type RopeRows } from "./rope.ts";
export {
  type AttentionArgs,
  type AttentionOptions,
  causalAttentionRef,
  documentStarts,
} from "./attention.ts";
export { type SwigluArgs, swigluRef } from "./swiglu.ts";
export { gegluTanhRef } from "./geglu_tanh.ts";
export { type LogitsArgs, type LogitsNllArgs, logitsNllRef, logitsRef } from "./logits.ts";
export { type AddArgs, addRef } from "./add.ts";
export {
  checkRopeApply,
  type RopeApply,
  ropeCosSinTable,
  ropePosition,
  ropeRowCosSin,
} from "../rope_apply.ts";
// Backward passes of the ops above (training), each beside its forward op.
export { type AttentionBackwardArgs, causalAttentionBackward } from "./attention_backward.ts";
export { embedBackward, type EmbedBackwardArgs } from "./embed_backward.ts";
export { logitsNllBackward, type LogitsNllBackwardArgs } from "./logits_backward.ts";
export { matmulBackward, type MatmulBackwardArgs } from "./matmul_backward.ts";
export { rmsnormBackward, type RmsnormBackwardArgs } from "./rmsnorm_backward.ts";
export { ropeBackward } from "./rope_backward.ts";
export { swigluBackward, type SwigluBackwardArgs } from "./swiglu_backward.ts";
export type { Vec } from "./vec.ts";
