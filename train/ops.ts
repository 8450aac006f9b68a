/**
 * The ops a training step runs where the time goes (matmuls, attention, the LM head), behind one
 * small interface so `forwardBackward` runs the same code in three precisions/engines:
 * - "native": the C kernels of `kernels/native` (OpenMP, packed register-blocked matmuls);
 * - "js": the f32 JavaScript kernels (the fallback when the native library is not built);
 * - "f64": the reference kernels on Float64Array buffers, for gradient checks.
 * RMSNorm, RoPE and the embedding are O(T·D) and stay in JS for all three.
 *
 * @module
 */
import { causalAttentionFast } from "../kernels/cpu/attention_fast.ts";
import { type AttentionOptions, causalAttentionRef, matmulRef, swigluRef } from "../kernels/cpu/mod.ts";
import {
  attentionBackwardNative,
  logitsNllBackwardNative,
  matmulBackwardNative,
  matmulTrainNative,
  swigluBackwardNative,
  swigluNative,
} from "../kernels/native/backward.ts";
import { causalAttentionNative } from "../kernels/native/mod.ts";
import { nativeKernels } from "../kernels/native/lib.ts";
import {
  causalAttentionBackward,
  logitsNllBackward,
  matmulBackward,
  swigluBackward,
} from "../kernels/cpu/mod.ts";

/** The engine of a training step. */
export type TrainEngine = "native" | "js" | "f64";

/** What differs between engines. */
export interface TrainOps {
  engine: TrainEngine;
  alloc(n: number): Float32Array;
  matmul: typeof matmulRef;
  matmulBackward: typeof matmulBackward;
  attention(
    out: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    T: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
    opts: AttentionOptions,
  ): void;
  attentionBackward: typeof causalAttentionBackward;
  logitsNllBackward: typeof logitsNllBackward;
  swiglu: typeof swigluRef;
  swigluBackward: typeof swigluBackward;
}

const f32 = (n: number) => new Float32Array(n);

const JS_OPS: TrainOps = {
  engine: "js",
  alloc: f32,
  matmul: matmulRef,
  matmulBackward,
  attention: causalAttentionFast,
  attentionBackward: causalAttentionBackward,
  logitsNllBackward,
  swiglu: swigluRef,
  swigluBackward,
};

const F64_OPS: TrainOps = {
  ...JS_OPS,
  engine: "f64",
  // The reference kernels only index their arrays, so Float64Array buffers keep f64 throughout.
  alloc: (n) => new Float64Array(n) as unknown as Float32Array,
  // The fast kernel's e^x (6e-9 relative) is far below f32 rounding but not below the f64 checks'.
  attention: causalAttentionRef,
};

const NATIVE_OPS: TrainOps = {
  engine: "native",
  alloc: f32,
  matmul: matmulTrainNative,
  matmulBackward: matmulBackwardNative as typeof matmulBackward,
  attention: causalAttentionNative,
  attentionBackward: attentionBackwardNative as typeof causalAttentionBackward,
  logitsNllBackward: logitsNllBackwardNative as typeof logitsNllBackward,
  swiglu: swigluNative,
  swigluBackward: swigluBackwardNative as typeof swigluBackward,
};

/** The ops of `engine`; by default the native ones when the library is loaded, else JS. */
export function trainOps(engine?: TrainEngine): TrainOps {
  if (engine === "f64") return F64_OPS;
  if (engine === "js") return JS_OPS;
  if (engine === "native" && !nativeKernels()) {
    throw new Error("native kernels are not loaded (deno task build)");
  }
  return nativeKernels() ? NATIVE_OPS : JS_OPS;
}
