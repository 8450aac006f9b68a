/** Backward passes of the CPU reference ops in `kernels/cpu`, one file per op. @module */
export { causalAttentionBackward } from "./attention.ts";
export { embedBackward } from "./embed.ts";
export { logitsNllBackward } from "./logits.ts";
export { matmulBackward } from "./matmul.ts";
export { rmsnormBackward } from "./rmsnorm.ts";
export { ropeBackward } from "./rope.ts";
export { swigluBackward } from "./swiglu.ts";
export type { Vec } from "./types.ts";
