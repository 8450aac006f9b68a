/**
 * Operands read as texels, for the software adapters' kernels (kernels/gpu/matmul_texel.ts, attention.ts):
 * a flat array of vec4s copied into an rgba32float texture wrapped into rows of TEXEL_ROW texels, so that
 * texel i sits at (i % TEXEL_ROW, i / TEXEL_ROW) and any length fits the 2D limit. llvmpipe fetches a texel
 * branch-free (8 lane offsets, 8 loads of 16 bytes, a transpose), where a storage load is a loop over the
 * lanes with a branch per component (docs/performance.md).
 *
 * @module
 */
import type { GpuContext } from "./context.ts";

/** Texels per texture row (32 KiB, a multiple of the 256-byte copy pitch). */
export const TEXEL_ROW = 2048;

/** Whether `texels` vec4s fit one of `ctx`'s textures (its rows within the device's 2D limit). */
export function texelsFit(ctx: Pick<GpuContext, "device">, texels: number): boolean {
  return Math.ceil(texels / TEXEL_ROW) <= ctx.device.limits.maxTextureDimension2D;
}

/** WGSL fetching vec4 number `i` (a u32 expression) of the flat array held in texture `t`. */
export function texelFetch(t: string, i: string): string {
  return `textureLoad(${t}, vec2<u32>((${i}) % ${TEXEL_ROW}u, (${i}) / ${TEXEL_ROW}u), 0)`;
}

/** A texture read with textureLoad only: unfilterable (rgba32float is not filterable). */
export const TEXEL_BINDING = {
  visibility: GPUShaderStage.COMPUTE,
  texture: { sampleType: "unfilterable-float" },
} as const;

/** A buffer binding of `type`, in a compute shader. */
export const bufferBinding = (type: GPUBufferBindingType) => ({
  visibility: GPUShaderStage.COMPUTE,
  buffer: { type },
});

/**
 * Records copies of `texels` vec4s of `buffer` (from `byteOffset`, a multiple of 16) into `slot`'s scratch
 * texture, wrapped into rows of TEXEL_ROW; returns the texture.
 */
export function copyToTexels(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  slot: string,
  buffer: GPUBuffer,
  byteOffset: number,
  texels: number,
): GPUTexture {
  const full = Math.floor(texels / TEXEL_ROW), rest = texels % TEXEL_ROW;
  const texture = ctx.scratchTexture(slot, TEXEL_ROW, full + (rest ? 1 : 0));
  if (!texture) throw new RangeError(`${slot}: ${texels} texels exceed the device's texture limit`);
  const bytesPerRow = TEXEL_ROW * 16;
  if (full) {
    enc.copyBufferToTexture({ buffer, offset: byteOffset, bytesPerRow }, { texture }, [TEXEL_ROW, full]);
  }
  if (rest) {
    enc.copyBufferToTexture(
      { buffer, offset: byteOffset + full * bytesPerRow, bytesPerRow },
      { texture, origin: [0, full] },
      [rest, 1],
    );
  }
  return texture;
}
