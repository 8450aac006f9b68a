/**
 * The ops a training step runs where the time goes (matmuls, attention, the LM head), behind one
 * small interface so `forwardBackward` runs the same code in four precisions/engines:
 * - "native": the C kernels of `kernels/native` (OpenMP, packed register-blocked matmuls);
 * - "wasm": the same C kernels compiled to WebAssembly (`kernels/wasm`: no compiler needed);
 * - "js": the f32 JavaScript kernels (the fallback when neither loads);
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
import { nativeKernels, nativeStatus, type NativeSymbols } from "../kernels/native/lib.ts";
import { wasmKernels, wasmStatus } from "../kernels/wasm/lib.ts";
import {
  causalAttentionBackward,
  logitsNllBackward,
  matmulBackward,
  swigluBackward,
} from "../kernels/cpu/mod.ts";

/** The engine of a training step. */
export type TrainEngine = "native" | "wasm" | "js" | "f64";

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

// deno-lint-ignore no-explicit-any
type Fn = (...a: any[]) => any;

/** `f` with its last parameter, the kernel set, fixed to `nk`; `arity` counts the parameters before it. */
function onKernels<F extends Fn>(f: F, arity: number, nk: NativeSymbols): F {
  return ((...a: unknown[]) => f(...a, ...new Array(Math.max(0, arity - a.length)), nk)) as F;
}

/** The ops on a kernel set with the native symbols' interface (the native library or its WebAssembly build). */
function fastOps(engine: "native" | "wasm", nk: NativeSymbols): TrainOps {
  return {
    engine,
    alloc: f32,
    matmul: onKernels(matmulTrainNative, 7, nk),
    matmulBackward: onKernels(matmulBackwardNative, 9, nk) as typeof matmulBackward,
    attention: onKernels(causalAttentionNative, 9, nk),
    attentionBackward: onKernels(attentionBackwardNative, 13, nk) as typeof causalAttentionBackward,
    logitsNllBackward: onKernels(logitsNllBackwardNative, 9, nk) as typeof logitsNllBackward,
    swiglu: onKernels(swigluNative, 4, nk),
    swigluBackward: onKernels(swigluBackwardNative, 6, nk) as typeof swigluBackward,
  };
}

/**
 * The ops of `engine`; by default the native ones when the library loads, else the WebAssembly ones,
 * else JS.
 */
export function trainOps(engine?: TrainEngine): TrainOps {
  if (engine === "f64") return F64_OPS;
  if (engine === "js") return JS_OPS;
  const native = nativeKernels();
  if (engine === "native" && !native) throw new Error(`native kernels are not loaded: ${nativeStatus()}`);
  if (native && engine !== "wasm") return fastOps("native", native);
  const wasm = wasmKernels();
  if (engine === "wasm" && !wasm) throw new Error(`WebAssembly kernels are not loaded: ${wasmStatus()}`);
  return wasm ? fastOps("wasm", wasm) : JS_OPS;
}
