/**
 * The native backend: the llama forward pass on the C kernels of `kernels/native` (Deno FFI,
 * OpenMP), or on the WebAssembly build of the same C source (`kernels/wasm`, the "wasm" backend).
 * f32 weights are packed for the matmul on first use, encoded ones (GGUF Q4_K, Q8_0, …) stay as stored
 * and are decoded a block at a time inside the matmul (rk_matmul_q); the KV cache is kept in the layout the
 * attention kernel reads (keys in 16-position panels, values per head), so decoding steps never
 * re-layout it. {@linkcode defaultBackend} picks native when the library loads (or builds), else
 * wasm, else the CPU backend.
 *
 * @module
 */
import { addRef, embedRef, type RopeApply } from "../kernels/cpu/mod.ts";
import { attentionFirstKeys } from "../kernels/cpu/attention.ts";
import { gegluTanhRef } from "../kernels/cpu/geglu_tanh.ts";
import { checkRopeApply, ropeCosSinTable } from "../kernels/rope_apply.ts";
import {
  kernelFloats,
  nativeKernels,
  type NativeKv,
  nativeKv,
  nativeStatus,
  type NativeSymbols,
  releaseFloats,
  scratchKv,
  storeKv,
} from "../kernels/native/lib.ts";
import { swigluNative } from "../kernels/native/backward.ts";
import { matmulNative, rmsnormNative } from "../kernels/native/mod.ts";
import { wasmKernels, wasmStatus } from "../kernels/wasm/lib.ts";
import { type Backend, checkCacheStep, type KvCache } from "./backend.ts";
import { type BlockOps, layerRope, llamaBlock, sharedBlockBuffers } from "./llama_block.ts";
import type { ModelWeights, WeightMatrix } from "./config.ts";
import { CpuBackend } from "./cpu_backend.ts";

/** Rows of logits computed at a time for the NLL: memory O(rows·vocab), never T×vocab. */
const LOGIT_ROWS = 256;

/**
 * Keys and values per layer in the native layout (see `nativeKv`), or one buffer `shared` by every
 * layer where each layer's keys and values are needed only while that layer runs (an NLL pass).
 */
class NativeKvCache implements KvCache {
  length = 0;
  readonly layers: NativeKv[];
  constructor(nk: NativeSymbols, weights: ModelWeights, readonly capacity: number, shared?: NativeKv) {
    const c = weights.config;
    this.layers = weights.layers.map(() => shared ?? nativeKv(nk, capacity, c.nKvHeads, c.headDim));
  }
}

/** The backend on the native (or WebAssembly) kernels; construct it with {@linkcode nativeBackend}. */
export class NativeBackend implements Backend {
  constructor(private readonly nk: NativeSymbols, readonly name: "native" | "wasm" = "native") {}

  /**
   * Runs every layer over T = tokens.length rows at positions start.., appending their keys/values
   * to `cache`; returns the residual stream x [T][dim] (before the final norm).
   */
  private forward(
    w: ModelWeights,
    tokens: Int32Array,
    rope: RopeApply,
    cache: NativeKvCache,
    localRope?: RopeApply,
  ): Float32Array {
    const nk = this.nk, c = w.config, T = tokens.length, start = cache.length;
    const ropes = [rope, ...(localRope ? [localRope] : [])];
    for (const r of ropes) checkRopeApply(r, c.headDim, T);
    // One cos/sin table per RoPE, shared by all the layers that use it.
    const tables = new Map(ropes.map((r) => [r, ropeCosSinTable(r, T)]));
    const f32 = (n: number) => kernelFloats(nk, n); // in the kernels' memory: no copies per call
    const ops: BlockOps<Float32Array, WeightMatrix> = {
      rmsnorm: (a) => rmsnormNative(a, nk),
      matmul: (a) => matmulNative(a, nk),
      matmulAdd: (a) => matmulNative(a, nk, true), // residual fused into the matmul
      rope: ({ x, T, nHeads, headDim }, layer) => {
        const r = layerRope(c, layer, rope, localRope);
        const interleaved = r.pairing === "interleaved" ? 1 : 0;
        nk.rk_rope(x, tables.get(r)!, T, nHeads, headDim, r.rotaryDim, interleaved);
      },
      attention({ out, q, k, v, T, nHeads, nKvHeads, headDim, softmaxScale, window }, layer) {
        const kv = cache.layers[layer];
        storeKv(nk, kv, k, v, T, start, nKvHeads, headDim);
        const scale = softmaxScale ?? 1 / Math.sqrt(headDim);
        // A sliding window is each row's first visible key, which the kernel already takes per row.
        const first = attentionFirstKeys(T, { window }, start);
        nk.rk_attention(
          out,
          q,
          kv.keys,
          kv.values,
          T,
          start,
          kv.capacity,
          nHeads,
          nKvHeads,
          headDim,
          scale,
          first,
        );
      },
      swiglu: (a) => swigluNative(a, nk),
      // Gemma's activation and the post-norm residual add run in TypeScript on the kernels' memory.
      gegluTanh: gegluTanhRef,
      add: addRef,
    };
    const x = f32(T * c.dim);
    const s = sharedBlockBuffers(c, T, f32);
    embedRef({ out: x, table: w.embedding, tokens, D: c.dim });
    w.layers.forEach((l, i) => llamaBlock(ops, c, l, i, T, x, s));
    // wasm: reuse the memory now rather than after a GC (h1/h2/tmp and gate/act are the same buffers)
    releaseFloats(nk, s.h1, s.q, s.k, s.v, s.att, s.gate, s.up);
    cache.length = start + T;
    return x;
  }

  forwardNll(
    w: ModelWeights,
    tokens: Int32Array,
    rope: RopeApply,
    localRope?: RopeApply,
  ): Promise<Float32Array> {
    const nk = this.nk, c = w.config, T = tokens.length - 1, V = c.vocabSize;
    if (T < 1) return Promise.resolve(new Float32Array(0));
    const targets = tokens.subarray(1);
    targets.forEach((id, t) => {
      if (!(id >= 0 && id < V)) throw new RangeError(`target ${id} at ${t} is outside [0, ${V})`);
    });
    // One KV buffer for all layers, reused from pass to pass (scratchKv): a layer's keys and values are
    // read only inside that layer, and fresh buffers per layer cost a page fault per 4 KB on first write
    // (64 MB of them at 32k tokens of the default model, ~0.2 s of CPU time on the 2-core machine).
    const cache = new NativeKvCache(nk, w, T, scratchKv(nk, T, c.nKvHeads, c.headDim));
    const x = this.forward(w, tokens.subarray(0, T), rope, cache, localRope);
    rmsnormNative({ out: x, x, weight: w.finalNorm, T, D: c.dim, eps: c.normEps }, nk);
    const nll = new Float32Array(T), logits = kernelFloats(nk, Math.min(T, LOGIT_ROWS) * V);
    for (let t0 = 0; t0 < T; t0 += LOGIT_ROWS) {
      const rows = Math.min(LOGIT_ROWS, T - t0);
      matmulNative({ out: logits, x: x.subarray(t0 * c.dim), w: w.classifier, T: rows, K: c.dim, N: V }, nk);
      nk.rk_nll_from_logits(nll.subarray(t0), logits, targets.subarray(t0), rows, V);
    }
    releaseFloats(nk, x, logits);
    return Promise.resolve(nll);
  }

  createCache(w: ModelWeights, capacity: number): KvCache {
    return new NativeKvCache(this.nk, w, capacity);
  }

  forwardStep(
    w: ModelWeights,
    kv: KvCache,
    tokens: Int32Array,
    rope: RopeApply,
    localRope?: RopeApply,
  ): Promise<Float32Array> {
    const cache = kv as NativeKvCache, c = w.config;
    checkCacheStep(cache, tokens.length, rope);
    const x = this.forward(w, tokens, rope, cache, localRope);
    const last = x.subarray((tokens.length - 1) * c.dim);
    rmsnormNative({ out: last, x: last, weight: w.finalNorm, T: 1, D: c.dim, eps: c.normEps }, this.nk);
    const logits = new Float32Array(c.vocabSize);
    matmulNative({ out: logits, x: last, w: w.classifier, T: 1, K: c.dim, N: c.vocabSize }, this.nk);
    releaseFloats(this.nk, x);
    return Promise.resolve(logits);
  }
}

/** The native backend, or null when the library is not available (see `nativeStatus()`). */
export function nativeBackend(): NativeBackend | null {
  const nk = nativeKernels();
  return nk ? new NativeBackend(nk) : null;
}

/** The backend on the WebAssembly kernels, or null when they cannot load (see `wasmStatus()`). */
export function wasmBackend(): NativeBackend | null {
  const nk = wasmKernels();
  return nk ? new NativeBackend(nk, "wasm") : null;
}

let announced = false;

/**
 * What `loadModel` uses when no backend is given: native when it loads (or can be built), else wasm
 * (saying so on stderr, once, with the reason native is not used), else the CPU backend.
 */
export function defaultBackend(): Backend {
  const native = nativeBackend();
  if (native) return native;
  const wasm = wasmBackend();
  if (wasm && !announced) {
    announced = true;
    console.error(`ropekit: kernels ${wasmStatus()}; native kernels: ${nativeStatus()}`);
  }
  return wasm ?? new CpuBackend();
}

export { nativeStatus, wasmStatus };
