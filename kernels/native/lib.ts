/**
 * Loads the native kernels (`.build/libropekit.so`, built from `ropekit.c` by `deno task build`) with
 * `Deno.dlopen`. When the library is missing, or was built from other sources than the ones beside it
 * (a stamp written by the build), and a C compiler can be run, the first call builds it (saying so on
 * stderr). {@linkcode nativeKernels} returns null, never throws, when the library
 * cannot be built or loaded, `--allow-ffi` is not granted, or it is stale; {@linkcode nativeStatus}
 * says which (the WebAssembly build of the same source then takes over: kernels/fast_kernels.ts).
 *
 * @module
 */
import { BUILD_DIR, buildSync, LIBRARY_PATH, sourceStamp, STAMP_PATH } from "./build.ts";
import { ABI_VERSION, SYMBOLS } from "./symbols.ts";

export { BUILD_DIR, LIBRARY_PATH };

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

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True unless the library's stamp names other sources (a checkout or an edit changed ropekit.c since). */
function builtFromTheseSources(): boolean {
  const want = sourceStamp();
  if (want === undefined) return true; // sources unreadable here: trust the ABI check alone
  try {
    return Deno.readTextFileSync(STAMP_PATH) === want;
  } catch {
    return false; // built before stamps, or by hand: rebuild once
  }
}

/**
 * Builds the library now if the permissions allow running a compiler and writing .build/ (the tasks
 * grant them), so nobody has to remember `deno task build`. Progress goes to stderr: stdout may be JSON.
 */
function buildOnFirstUse(stale: boolean): boolean {
  const granted = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";
  const compilers = ["cc", "gcc", "clang"].filter((command) => granted({ name: "run", command }));
  if (!compilers.length || !granted({ name: "write", path: BUILD_DIR })) return false;
  console.error(
    stale
      ? `ropekit: rebuilding the native kernels: their sources changed since ${LIBRARY_PATH} was built…`
      : `ropekit: building the native kernels once (${LIBRARY_PATH})…`,
  );
  return buildSync(undefined, true, console.error, compilers);
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
  if (Deno.permissions.querySync({ name: "ffi", path: LIBRARY_PATH }).state !== "granted") {
    status = `--allow-ffi not granted for ${LIBRARY_PATH}`;
    return null;
  }
  let built: boolean, stale = false;
  try {
    const present = exists(LIBRARY_PATH);
    stale = present && !builtFromTheseSources();
    built = (present && !stale) || buildOnFirstUse(stale);
  } catch (e) { // a build that cannot even write its output: fall back like one without a compiler
    status = `building ${LIBRARY_PATH} failed: ${(e as Error).message}`;
    return null;
  }
  if (!built) {
    status = stale
      ? `${LIBRARY_PATH} was built from other sources and cannot be rebuilt here (no C compiler could be run; deno task build)`
      : `${LIBRARY_PATH} not built (no C compiler could be run; deno task build)`;
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

/**
 * n zeroed floats where the kernels `nk` read them in place: the WebAssembly kernels' own memory
 * (they have `allocFloats`), else an ordinary array (FFI passes pointers to it).
 */
export function kernelFloats(nk: NativeSymbols, n: number): Float32Array<ArrayBuffer> {
  const alloc = (nk as { allocFloats?: (n: number) => Float32Array<ArrayBuffer> }).allocFloats;
  return alloc ? alloc(n) : new Float32Array(n);
}

/** Frees arrays from {@linkcode kernelFloats} now where that matters (wasm memory); they must not be used after. */
export function releaseFloats(nk: NativeSymbols, ...arrays: Float32Array[]): void {
  const free = (nk as { freeFloats?: (a: Float32Array) => void }).freeFloats;
  if (free) { for (const a of arrays) free(a); }
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
    keys: kernelFloats(nk, Number(nk.rk_key_cache_floats(capacity, nKvHeads, headDim))),
    values: kernelFloats(nk, capacity * nKvHeads * headDim),
  };
}

/** The arrays behind {@linkcode scratchKv}, per kernel set. */
const scratchKvs = new WeakMap<NativeSymbols, { keys: Float32Array; values: Float32Array }>();

/**
 * A KV buffer for `capacity` positions for one call (causalAttentionNative's copy of its keys and values),
 * reused from call to call: views on one pair of arrays per kernel set, grown to the largest size asked
 * for and kept. A fresh buffer per call would be written into pages the OS has not mapped yet: on the
 * 2-core machine of docs/performance.md that page-faulting cost ~11 µs per 4 KB page, 24 ms of CPU
 * time per call at 2048 tokens × 8 heads × head size 64, against 57 ms for the attention itself.
 * Callers are synchronous, so one buffer per kernel set is never in use twice at once.
 */
export function scratchKv(nk: NativeSymbols, capacity: number, nKvHeads: number, headDim: number): NativeKv {
  const keyFloats = Number(nk.rk_key_cache_floats(capacity, nKvHeads, headDim));
  const valueFloats = capacity * nKvHeads * headDim;
  let s = scratchKvs.get(nk);
  if (!s || s.keys.length < keyFloats || s.values.length < valueFloats) {
    if (s) releaseFloats(nk, s.keys, s.values);
    s = {
      keys: kernelFloats(nk, Math.max(keyFloats, s?.keys.length ?? 0)),
      values: kernelFloats(nk, Math.max(valueFloats, s?.values.length ?? 0)),
    };
    scratchKvs.set(nk, s);
  }
  return { capacity, keys: s.keys.subarray(0, keyFloats), values: s.values.subarray(0, valueFloats) };
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

/** Weights packed for rk_matmul, cached per kernel set and weight array (weights never change once loaded). */
const packedCache = new WeakMap<NativeSymbols, WeakMap<Float32Array, Float32Array>>();

/** w [N][K] in rk_matmul's panel layout, packed on first use. */
export function packedWeights(nk: NativeSymbols, w: Float32Array, N: number, K: number): Float32Array {
  let cache = packedCache.get(nk);
  if (!cache) packedCache.set(nk, cache = new WeakMap());
  let p = cache.get(w);
  if (!p) {
    const packed = kernelFloats(nk, Number(nk.rk_packed_floats(N, K)));
    nk.rk_pack_weights(packed, w, N, K);
    cache.set(w, p = packed);
  }
  return p;
}

/** Encoded weight bytes where the kernels read them, cached like {@linkcode packedWeights}. */
const residentCache = new WeakMap<NativeSymbols, WeakMap<Uint8Array, Uint8Array>>();

/**
 * `bytes` where the kernels `nk` read them in place: the array itself for the native library (FFI
 * passes a pointer), a copy in the WebAssembly kernels' memory (made once per array) for wasm.
 */
export function residentBytes(nk: NativeSymbols, bytes: Uint8Array): Uint8Array {
  if (!(nk as { allocFloats?: unknown }).allocFloats) return bytes;
  let cache = residentCache.get(nk);
  if (!cache) residentCache.set(nk, cache = new WeakMap());
  let r = cache.get(bytes);
  if (!r) {
    const f = kernelFloats(nk, Math.ceil(bytes.byteLength / 4));
    r = new Uint8Array(f.buffer, f.byteOffset, bytes.byteLength);
    r.set(bytes);
    cache.set(bytes, r);
  }
  return r;
}
