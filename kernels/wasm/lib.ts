/**
 * The WebAssembly kernels: kernels/native/ropekit.c compiled to `ropekit_relaxed.wasm` (relaxed-SIMD
 * FMA) or `ropekit_simd.wasm` (SIMD128), whichever this runtime compiles (`deno task build:wasm` builds
 * both; they are committed, so nothing needs a compiler). {@linkcode wasmKernels} returns an object
 * with the same functions and signatures as the native library's symbols (kernels/native/lib.ts), so
 * the native backend and the training ops run on it unchanged.
 *
 * Memory: one shared WebAssembly.Memory. Arrays from {@linkcode kernelFloats} (kernels/native/lib.ts)
 * live in it and are passed by address; any other array argument is copied in for the call (and out
 * again when the kernel writes it). Threads: `threads − 1` workers (node:worker_threads, unref'd)
 * instantiate the module on the same memory; runtime.c runs the C source's OpenMP regions on them.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { NativeSymbols } from "../native/lib.ts";
import { SYMBOLS } from "../native/symbols.ts";

type Name = keyof typeof SYMBOLS;

/** The buffer parameters each kernel writes: copied back when the caller's array is not in wasm memory. */
const WRITES: Record<Name, number[]> = {
  rk_abi_version: [],
  rk_threads: [],
  rk_exp_array: [0],
  rk_fma_flops: [],
  rk_packed_floats: [],
  rk_pack_weights: [0],
  rk_matmul: [0],
  rk_rmsnorm: [0],
  rk_swiglu: [0],
  rk_rope: [0],
  rk_nll_from_logits: [0],
  rk_store_values: [0],
  rk_key_cache_floats: [],
  rk_store_keys: [0],
  rk_attention: [0],
  rk_pack_strided: [0],
  rk_transpose: [0],
  rk_attention_backward: [0, 1, 2],
  rk_swiglu_backward: [0, 1],
  rk_softmax_nll_grad: [0, 1],
  rk_dequantize: [0],
  rk_matmul_q: [0],
};

const STACK_BYTES = 1 << 20;
const MAX_PAGES = 65536; // 4 GiB, as the module declares (--max-memory)

/** The module variants, best first: relaxed SIMD where the runtime has it (the one feature test). */
const VARIANTS = ["ropekit_relaxed.wasm", "ropekit_simd.wasm"];

/** The WebAssembly kernels: the native symbols' interface plus what only this backend has. */
export type WasmSymbols = NativeSymbols & {
  /** n zeroed floats in the module's memory: kernels read and write them in place. */
  allocFloats(n: number): Float32Array<ArrayBuffer>;
  /**
   * Returns an array from `allocFloats` to the allocator now (otherwise that happens when it is garbage
   * collected, which V8 does not hurry for memory it does not see). No view of it may be used after.
   */
  freeFloats(a: Float32Array): void;
};

interface Loaded {
  symbols: WasmSymbols;
  exports: Record<string, unknown>;
  variant: string;
  threads: number;
}

let loaded: Loaded | null | undefined;
let status = "not loaded yet";

/** Threads to use: ROPEKIT_WASM_THREADS, else OMP_NUM_THREADS (as the native build), else every core. */
function wantedThreads(): number {
  for (const name of ["ROPEKIT_WASM_THREADS", "OMP_NUM_THREADS"]) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") continue;
    const n = Number(Deno.env.get(name));
    if (Number.isInteger(n) && n >= 1) return n;
  }
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** Compiles the best variant this runtime accepts. */
function compile(): { module: WebAssembly.Module; variant: string } {
  let lastError: unknown;
  for (const variant of VARIANTS) {
    const bytes = Deno.readFileSync(new URL(`./${variant}`, import.meta.url));
    try {
      return { module: new WebAssembly.Module(bytes), variant };
    } catch (e) {
      lastError = e; // relaxed SIMD unsupported: fall back to plain SIMD128
    }
  }
  throw lastError;
}

function load(): Loaded {
  const { module, variant } = compile();
  const initialPages = 256; // build.ts: --initial-memory=16 MiB
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory, log: Math.log } });
  const ex = instance.exports as Record<string, (...a: unknown[]) => unknown>;
  const malloc = (bytes: number) => {
    const p = (ex.rk_malloc(bytes) as number) >>> 0;
    if (p === 0) throw new RangeError(`WebAssembly kernels: out of memory allocating ${bytes} bytes`);
    return p;
  };
  const free = (p: number) => ex.rk_free(p);
  const ours = new WeakSet<ArrayBufferLike>();
  let bytes = new Uint8Array(memory.buffer);
  const heap = () => { // a fresh view after the memory grows
    if (bytes.byteLength !== memory.buffer.byteLength) bytes = new Uint8Array(memory.buffer);
    return bytes;
  };
  const registry = new FinalizationRegistry<number>(free);

  const symbols = {} as Record<string, unknown>;
  for (const name of Object.keys(SYMBOLS) as Name[]) {
    const def = SYMBOLS[name];
    const fn = ex[name], params = def.parameters as readonly string[], writes = WRITES[name];
    symbols[name] = (...args: unknown[]) => {
      const temps: { view: ArrayBufferView; ptr: number; write: boolean }[] = [];
      // The copies are made inside the try: a malloc that fails part-way frees the ones before it.
      try {
        const call = args.map((a, i) => {
          if (params[i] !== "buffer") return a;
          if (a === null || a === undefined) return 0;
          const view = a as ArrayBufferView;
          if (ours.has(view.buffer)) return view.byteOffset;
          const same = temps.find((t) => t.view === view);
          if (same) {
            same.write ||= writes.includes(i);
            return same.ptr;
          }
          const ptr = malloc(view.byteLength);
          heap().set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), ptr);
          temps.push({ view, ptr, write: writes.includes(i) });
          return ptr;
        });
        return fn(...call);
      } finally {
        for (const { view, ptr, write } of temps) {
          if (write) {
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
              .set(heap().subarray(ptr, ptr + view.byteLength));
          }
          free(ptr);
        }
      }
    };
  }
  symbols.allocFloats = (n: number) => {
    const ptr = malloc(n * 4);
    ours.add(memory.buffer);
    const view = new Float32Array(memory.buffer, ptr, n).fill(0);
    registry.register(view, ptr, view);
    // Typed as ArrayBuffer-backed so it passes wherever the FFI's buffer parameters are accepted.
    return view as unknown as Float32Array<ArrayBuffer>;
  };

  warmUp(symbols as WasmSymbols);
  symbols.freeFloats = (a: Float32Array) => {
    if (registry.unregister(a)) free(a.byteOffset);
  };

  let threads = wantedThreads();
  for (let i = 1; i < threads; i++) {
    try {
      const worker = new Worker(new URL("./worker.ts", import.meta.url));
      worker.postMessage({ module, memory, stackTop: malloc(STACK_BYTES) + STACK_BYTES });
      worker.unref();
    } catch {
      threads = i; // no workers here (e.g. no read permission for worker.ts): fewer threads, same results
      break;
    }
  }
  return { symbols: symbols as WasmSymbols, exports: ex, variant, threads };
}

/**
 * Runs the forward kernels a few times on small inputs. V8 first runs WebAssembly functions as quickly
 * compiled baseline code and recompiles the ones that ran enough in the background; it never swaps
 * code inside a running call, so a model's first long kernel call would otherwise run entirely on the
 * baseline code (measured: attention over 2048 tokens 1.5 s cold against 0.26 s warm).
 */
function warmUp(nk: WasmSymbols): void {
  const T = 64, D = 64, H = 2, hd = 32, V = 64;
  const x = nk.allocFloats(T * D), w = nk.allocFloats(D * D), out = nk.allocFloats(T * D);
  const packed = nk.allocFloats(Number(nk.rk_packed_floats(D, D)));
  const keys = nk.allocFloats(Number(nk.rk_key_cache_floats(T, H, hd))), values = nk.allocFloats(T * D);
  const table = nk.allocFloats(T * hd), targets = new Int32Array(T);
  x.fill(0.5), w.fill(0.25);
  for (let i = 0; i < 4; i++) {
    nk.rk_pack_weights(packed, w, D, D);
    nk.rk_matmul(out, x, packed, null, T, D, D, 0);
    nk.rk_rmsnorm(out, x, w, T, D, 1e-5);
    nk.rk_rope(out, table, T, H, hd, hd, 0);
    nk.rk_store_keys(keys, x, T, 0, H, hd, T);
    nk.rk_store_values(values, x, T, 0, H, hd, T);
    nk.rk_attention(out, x, keys, values, T, 0, T, H, H, hd, 0.2, null);
    nk.rk_swiglu(out, x, x, BigInt(T * D));
    nk.rk_nll_from_logits(out, x, targets, T, V);
  }
}

/** The WebAssembly kernels, or null (after recording why in {@linkcode wasmStatus}); never throws. */
export function wasmKernels(): WasmSymbols | null {
  if (loaded !== undefined) return loaded?.symbols ?? null;
  try {
    loaded = load();
    status = `wasm (${loaded.variant}, ${loaded.threads} threads)`;
  } catch (e) {
    loaded = null;
    status = `WebAssembly kernels unavailable: ${(e as Error).message}`;
  }
  return loaded?.symbols ?? null;
}

/** "wasm (ropekit_relaxed.wasm, 2 threads)" or why the WebAssembly kernels cannot load. */
export function wasmStatus(): string {
  wasmKernels();
  return status;
}

/**
 * Resolves once the workers have started (kernels called before run on fewer threads, with the same
 * results); rejects after `timeoutMs`. Benchmarks wait for it.
 */
export async function wasmReady(timeoutMs = 10_000): Promise<void> {
  if (!wasmKernels() || !loaded) throw new Error(status);
  const ready = loaded.exports.rk_workers_ready as () => number;
  const t0 = performance.now();
  while (ready() < loaded.threads - 1) {
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(`WebAssembly workers not started after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Caps the threads later kernel calls use (tests compare 1 and 2); returns the count now in effect. */
export function setWasmThreads(n: number): number {
  if (!wasmKernels() || !loaded) throw new Error(status);
  return (loaded.exports.rk_set_max_threads as (n: number) => number)(n);
}
