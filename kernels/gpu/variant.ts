/**
 * Which WGSL kernel shape runs on an adapter: the one place that decides it, from the adapter's info.
 *
 * - "registers": the kernels shaped for software adapters (lavapipe/llvmpipe): each invocation owns a
 *   block of outputs in named registers and reads its operands straight from storage (kernels/gpu/matmul.ts,
 *   attention.ts). On a CPU rasteriser workgroup memory is ordinary memory plus barriers, which only cost.
 * - "tiled": the kernels shaped for GPUs (NVIDIA/AMD/Apple/Intel): workgroups stage tiles of the operands
 *   in workgroup memory with cooperative, coalesced loads, each invocation register-blocks its outputs
 *   over the staged tile (matmul_tiled.ts, attention_tiled.ts).
 *
 * `ROPEKIT_GPU_KERNELS=registers|tiled` overrides the choice (benchmarks compare both on one adapter).
 *
 * @module
 */
import type { GpuContext } from "./context.ts";

/** A kernel family: see the module comment. */
export type GpuKernelVariant = "registers" | "tiled";

/** The kernel family for `ctx`'s adapter (or the ROPEKIT_GPU_KERNELS override). */
export function gpuKernelVariant(ctx: Pick<GpuContext, "isSoftware">): GpuKernelVariant {
  const granted =
    Deno.permissions.querySync({ name: "env", variable: "ROPEKIT_GPU_KERNELS" }).state === "granted";
  const forced = granted ? Deno.env.get("ROPEKIT_GPU_KERNELS") : undefined;
  if (forced === "registers" || forced === "tiled") return forced;
  return ctx.isSoftware ? "registers" : "tiled";
}
