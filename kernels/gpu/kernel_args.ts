/**
 * Argument types shared by each WGSL kernel's two families (kernels/gpu/variant.ts): the
 * software-adapter kernels (matmul.ts, attention.ts) and the tiled ones (matmul_tiled.ts,
 * attention_tiled.ts).
 *
 * @module
 */
import type { AttentionArgs } from "../cpu/attention.ts";
import type { MatmulArgs } from "../cpu/matmul.ts";

/** The shared {@linkcode MatmulArgs} on GPU buffers, plus where and how w is stored. */
export interface GpuMatmulArgs extends MatmulArgs<GPUBuffer> {
  /** Byte offset of row 0 of w inside its buffer (multiple of 256), to use a slice of a larger matrix. */
  wOffset?: number;
  /**
   * w holds float16 values (half the memory and half the bytes read per FMA); needs the device's
   * `shader-f16` (`ctx.f16`) and K % 4 = 0. Products and sums stay in f32.
   */
  wF16?: boolean;
}

/** Rows (TM) × columns (TN) of out per invocation, invocations per workgroup (WG, laid out along N). */
export interface MatmulBlock {
  TM: number;
  TN: number;
  WG: number;
}

/**
 * The shared {@linkcode AttentionArgs} on GPU buffers (headDim a multiple of 4), with the document mask
 * already on the device as rows rather than as `docStarts`.
 */
export interface GpuAttentionArgs extends Omit<AttentionArgs<GPUBuffer>, "docStarts"> {
  /** Int32 [T]: first row each row may attend to (see `documentStarts` in the CPU refs). */
  rowStart?: GPUBuffer;
}

/** The bits of `x` as a float32, for passing floats in u32 uniforms. */
export function f32Bits(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0];
}
