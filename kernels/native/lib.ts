/**
 * Loads the native kernels (`.build/libropekit.so`, built from `ropekit.c` by `deno task build`) with
 * `Deno.dlopen`. {@linkcode nativeKernels} returns null, never throws, when the library is not built,
 * `--allow-ffi` is not granted, or the library is stale; {@linkcode nativeStatus} says which.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Bumped with `rk_abi_version` in ropekit.c whenever a signature changes. */
const ABI_VERSION = 4;

/** The build folder (gitignored) and the library file in it, for this platform. */
export const BUILD_DIR = fileURLToPath(new URL("../../.build/", import.meta.url));
export const LIBRARY_PATH = BUILD_DIR +
  (Deno.build.os === "windows"
    ? "ropekit.dll"
    : Deno.build.os === "darwin"
    ? "libropekit.dylib"
    : "libropekit.so");

const SYMBOLS = {
  rk_abi_version: { parameters: [], result: "i32" },
  rk_threads: { parameters: [], result: "i32" },
  rk_exp_array: { parameters: ["buffer", "buffer", "i32"], result: "void" },
  rk_packed_floats: { parameters: ["i32", "i32"], result: "i64" },
  rk_pack_weights: { parameters: ["buffer", "buffer", "i32", "i32"], result: "void" },
  rk_matmul: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32", "i32", "i32", "i32"],
    result: "void",
  },
  rk_rmsnorm: { parameters: ["buffer", "buffer", "buffer", "i32", "i32", "f32"], result: "void" },
  rk_swiglu: { parameters: ["buffer", "buffer", "buffer", "i64"], result: "void" },
  rk_rope: { parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  rk_nll_from_logits: { parameters: ["buffer", "buffer", "buffer", "i32", "i32"], result: "void" },
  rk_store_values: { parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  rk_key_cache_floats: { parameters: ["i32", "i32", "i32"], result: "i64" },
  rk_store_keys: { parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  rk_attention: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
    ],
    result: "void",
  },
  rk_pack_strided: { parameters: ["buffer", "buffer", "i32", "i32", "i64", "i64"], result: "void" },
  rk_transpose: { parameters: ["buffer", "buffer", "i32", "i32"], result: "void" },
  rk_attention_backward: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
    ],
    result: "void",
  },
  rk_swiglu_backward: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "i64"],
    result: "void",
  },
  rk_softmax_nll_grad: { parameters: ["buffer", "buffer", "buffer", "i32", "i32", "f32"], result: "void" },
} as const;

/** The raw symbols of the library (see ropekit.c for what each computes). */
export type NativeSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let loaded: NativeSymbols | null | undefined;
let status = "not loaded yet";

/** Why the native path is or is not available: "native (2 threads, …)" or the reason it is cold. */
export function nativeStatus(): string {
  nativeKernels();
  return status;
}

/** True when `name` is "1" and readable (no --allow-env means unset, not an error). */
function envFlag(name: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted" &&
    Deno.env.get(name) === "1";
}

/**
 * Makes idle OpenMP threads sleep instead of spinning (unless OMP_WAIT_POLICY is already set). On a
 * busy 2-core machine spinning threads steal the core the other worker needs: stories260K NLL over
 * 2048 tokens measured 1.1 s spinning vs 0.28 s passive; idle, passive costs ~µs per kernel call.
 * libgomp reads the variable when it loads, so this must run before dlopen.
 */
function passiveOpenMpWait(): void {
  const name = "OMP_WAIT_POLICY";
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return;
  if (Deno.env.get(name) === undefined) Deno.env.set(name, "passive");
}

/** The native symbols, or null when they cannot be used (see {@linkcode nativeStatus}). */
export function nativeKernels(): NativeSymbols | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (envFlag("ROPEKIT_NO_NATIVE")) {
    status = "disabled by ROPEKIT_NO_NATIVE=1";
    return null;
  }
  if (typeof Deno.dlopen !== "function") {
    status = "this runtime has no Deno.dlopen";
    return null;
  }
  try {
    if (Deno.permissions.querySync({ name: "ffi", path: LIBRARY_PATH }).state !== "granted") {
      status = `--allow-ffi not granted for ${LIBRARY_PATH}`;
      return null;
    }
    Deno.statSync(LIBRARY_PATH);
  } catch {
    status = `${LIBRARY_PATH} not built (run deno task build)`;
    return null;
  }
  try {
    passiveOpenMpWait();
    const lib = Deno.dlopen(LIBRARY_PATH, SYMBOLS);
    const abi = lib.symbols.rk_abi_version();
    if (abi !== ABI_VERSION) {
      lib.close();
      status = `${LIBRARY_PATH} is stale (ABI ${abi}, want ${ABI_VERSION}): run deno task build`;
      return null;
    }
    loaded = lib.symbols;
    status = `native (${LIBRARY_PATH}, ${lib.symbols.rk_threads()} threads)`;
  } catch (e) {
    status = `cannot load ${LIBRARY_PATH}: ${(e as Error).message}`;
  }
  return loaded;
}

/** The native symbols; throws when they are not loaded (callers check {@linkcode nativeKernels} first). */
export function requireNativeKernels(): NativeSymbols {
  const nk = nativeKernels();
  if (!nk) throw new Error(`native kernels are not loaded: ${status}`);
  return nk;
}

/** A KV cache in the native layout: keys in 16-position panels, values per head. */
export interface NativeKv {
  capacity: number;
  /** [nKv][capacity/16][hd][16] (rk_store_keys). */
  keys: Float32Array;
  /** [nKv][capacity][hd] (rk_store_values). */
  values: Float32Array;
}

/** An empty native KV buffer for `capacity` positions. */
export function nativeKv(nk: NativeSymbols, capacity: number, nKvHeads: number, headDim: number): NativeKv {
  return {
    capacity,
    keys: new Float32Array(Number(nk.rk_key_cache_floats(capacity, nKvHeads, headDim))),
    values: new Float32Array(capacity * nKvHeads * headDim),
  };
}

/** Writes rows k, v ([T][nKv·hd]) at positions start..start+T−1 of `kv`. */
export function storeKv(
  nk: NativeSymbols,
  kv: NativeKv,
  k: Float32Array,
  v: Float32Array,
  T: number,
  start: number,
  nKvHeads: number,
  headDim: number,
): void {
  nk.rk_store_keys(kv.keys, k, T, start, nKvHeads, headDim, kv.capacity);
  nk.rk_store_values(kv.values, v, T, start, nKvHeads, headDim, kv.capacity);
}

/** Weights packed for rk_matmul, cached per weight array (weights never change once loaded). */
const packedCache = new WeakMap<Float32Array, Float32Array<ArrayBuffer>>();

/** w [N][K] in rk_matmul's panel layout, packed on first use. */
export function packedWeights(nk: NativeSymbols, w: Float32Array, N: number, K: number): Float32Array {
  let p = packedCache.get(w);
  if (!p) {
    p = new Float32Array(Number(nk.rk_packed_floats(N, K)));
    nk.rk_pack_weights(p, w, N, K);
    packedCache.set(w, p);
  }
  return p;
}
