/**
 * The seam between the model and the hardware that runs it: three calls every backend answers. Each
 * runs the one llama block of `llama_block.ts` on its own ops (CPU reference kernels, native C,
 * WebGPU); `tests/model/_backend_cases.ts` is the conformance suite they all pass.
 *
 * @module
 */
import type { RopeApply } from "../kernels/rope_apply.ts";
import type { ModelWeights } from "./config.ts";

/** Keys and values of past positions, owned by the backend that made it. */
export interface KvCache {
  /** Positions held. */
  readonly length: number;
  /** Positions that fit. */
  readonly capacity: number;
}

/**
 * Runs the llama forward pass. `rope` gives frequencies and scale; positions start at its offset.
 * `localRope`, when given, is the RoPE of the sliding-window layers (Gemma 3's local base); it has the
 * same positions as `rope`.
 */
export interface Backend {
  /** The backend's name as `--backend` spells it ("native", "wasm", "cpu", "webgpu"). */
  readonly name: string;
  /** Per-token NLL of tokens[1..n−1], each predicted from the tokens before it (positions 0..n−2). */
  forwardNll(
    weights: ModelWeights,
    tokens: Int32Array,
    rope: RopeApply,
    localRope?: RopeApply,
  ): Promise<Float32Array>;
  /** An empty cache for up to `capacity` positions. */
  createCache(weights: ModelWeights, capacity: number): KvCache;
  /**
   * Appends `tokens` at positions cache.length.. (rope.positionOffset must equal cache.length) and
   * returns the logits [vocab] after the last of them.
   */
  forwardStep(
    weights: ModelWeights,
    cache: KvCache,
    tokens: Int32Array,
    rope: RopeApply,
    localRope?: RopeApply,
  ): Promise<Float32Array>;
}

/** Throws unless `T` more positions fit in `cache` and `rope` starts where the cache ends. */
export function checkCacheStep(cache: KvCache, T: number, rope: RopeApply): void {
  const start = cache.length, end = start + T;
  if (end > cache.capacity) {
    throw new RangeError(`KV cache holds ${cache.capacity} positions, ${end} needed`);
  }
  if ((rope.positionOffset ?? 0) !== start) {
    throw new RangeError(`rope.positionOffset ${rope.positionOffset} must equal the cache length ${start}`);
  }
}
