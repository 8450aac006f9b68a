/**
 * CPU references of every kernel: plain TypeScript on Float32Array, row-major, weights [out][in].
 * They define what the GPU kernels must compute and are the model runner's CPU fallback.
 *
 * @module
 */
export { matmulRef } from "./matmul.ts";
export { rmsnormRef } from "./rmsnorm.ts";
export { embedRef } from "./embed.ts";
export { ropeRef } from "./rope.ts";
export { type AttentionOptions, causalAttentionRef, documentStarts } from "./attention.ts";
export { swigluRef } from "./swiglu.ts";
export { logitsNllRef, logitsRef } from "./logits.ts";
export { addRef } from "./add.ts";
export {
  checkRopeApply,
  type RopeApply,
  ropeCosSinTable,
  ropePosition,
  ropeRowCosSin,
} from "../rope_apply.ts";
