/**
 * The ops a training step runs where the time goes (matmuls, attention, the LM head), behind one
 * small interface so `forwardBackward` runs the same code in four precisions/engines:
 * - "native": the C kernels of `kernels/native` (OpenMP, packed register-blocked matmuls);
 * - "wasm": the same C kernels compiled to WebAssembly (`kernels/wasm`: no compiler needed);
 * - "js": the f32 JavaScript kernels (the fallback when neither loads);
 * - "f64": the reference kernels on Float64Array buffers, for gradient checks.
 * RMSNorm, RoPE and the embedding are O(T·D) and stay in JS for all four.
 *
 * @module
 */
import { causalAttentionFast } from "../kernels/cpu/attention_fast.ts";
import {
  type AttentionArgs,
  type AttentionBackwardArgs,
  causalAttentionBackward,
  causalAttentionRef,
  logitsNllBackward,
  type LogitsNllBackwardArgs,
  type MatmulArgs,
  matmulBackward,
  type MatmulBackwardArgs,
  matmulRef,
  type SwigluArgs,
  swigluBackward,
  type SwigluBackwardArgs,
  swigluRef,
} from "../kernels/cpu/mod.ts";
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

/** The engine of a training step. */
export type TrainEngine = "native" | "wasm" | "js" | "f64";

/**
 * What differs between engines: one function per kernel op, each taking that op's argument type from
 * `kernels/cpu`, so the reference, JS and native/WebAssembly versions slot in without adapters. Buffers are
 * Float32Array (the f64 engine's Float64Arrays pass as such: the reference kernels only index them).
 */
export interface TrainOps {
  engine: TrainEngine;
  alloc(n: number): Float32Array;
  matmul(a: MatmulArgs): void;
  matmulBackward(a: MatmulBackwardArgs<Float32Array>): void;
  attention(a: AttentionArgs): void;
  attentionBackward(a: AttentionBackwardArgs<Float32Array>): void;
  /** Per-token NLL (returned) and the accumulated gradients of the LM head. */
  logitsNllBackward(a: LogitsNllBackwardArgs<Float32Array>): Float64Array;
  swiglu(a: SwigluArgs): void;
  swigluBackward(a: SwigluBackwardArgs<Float32Array>): void;
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

/** The ops on a kernel set with the native symbols' interface (the native library or its WebAssembly build). */
function fastOps(engine: "native" | "wasm", nk: NativeSymbols): TrainOps {
  return {
    engine,
    alloc: f32,
    matmul: (a) => matmulTrainNative(a, nk),
    matmulBackward: (a) => matmulBackwardNative(a, nk),
    attention: (a) => causalAttentionNative(a, nk),
    attentionBackward: (a) => attentionBackwardNative(a, nk),
    logitsNllBackward: (a) => logitsNllBackwardNative(a, nk),
    swiglu: (a) => swigluNative(a, nk),
    swigluBackward: (a) => swigluBackwardNative(a, nk),
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
