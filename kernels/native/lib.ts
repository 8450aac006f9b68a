/**
 * Loads the native kernels (`.build/libropekit.so`, built from `ropekit.c` by `deno task build`) with
 * `Deno.dlopen`. {@linkcode nativeKernels} returns null, never throws, when the library is not built,
 * `--allow-ffi` is not granted, or the library is stale; {@linkcode nativeStatus} says which.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Bumped with `rk_abi_version` in ropekit.c whenever a signature changes. */
const ABI_VERSION = 1;

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
  rk_store_transposed: {
    parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"],
    result: "void",
  },
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

/**
 * Row pitch (floats) of a transposed K/V buffer holding `capacity` positions: padded so that rows of
 * consecutive channels do not sit a multiple of 4 KiB apart (which would map them all to the same
 * L1 sets).
 */
export function kvPitch(capacity: number): number {
  return Math.ceil(capacity / 16) * 16 + 16;
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
