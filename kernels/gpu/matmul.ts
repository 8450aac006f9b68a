/**
 * Register-blocked matmul: out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias[N]), f32, generated WGSL.
 *
 * Why it looks like this: on software adapters (lavapipe/llvmpipe) 8 invocations share the lanes of
 * one AVX2 register and every storage load becomes a loop over the lanes, each a guarded scalar load
 * (~2 ns per lane per load here, whatever its width, ~40 FMAs' worth), while a value that does not
 * fit in the 16 registers spills to the stack, where one vector load serves all 8 lanes. So each
 * invocation keeps a large TM×TN block of accumulators in named scalars (code is generated and fully
 * unrolled over the block; most of them spill, which is cheap by comparison), loads whole vec4s along
 * K, and performs 4·TM·TN FMAs per TM+TN loads; each w vec4 is used by its column's TM dot products
 * right after it is loaded. All invocations of a workgroup share the same TM rows of x. K and N are
 * compile-time constants (a model has few weight shapes); T is a uniform, so every sequence length
 * reuses one pipeline. Edges are handled by clamping load indices and masking stores, keeping the
 * inner loop branch-free.
 *
 * Calls of LARGE_CALL_MIN_ROWS rows or more go to the texel-fed kernel (kernels/gpu/matmul_texel.ts:
 * x and w copied into textures, whose fetches cost a sixth of a storage load here; 32×32 blocks, one
 * pipeline for every shape) when it fits the call; the rest run the 16×8 block below, which compiles in
 * under a second. Blocks of this storage kernel measured on lavapipe (docs/performance.md): 8×8, 16×8,
 * 24×24, 32×32 and 64×32 ran 2048×512×1376 at ~19%, ~28%, ~30–36%, ~34–40% and ~50% of the adapter's FMA
 * ceiling and compiled one pipeline per weight shape in ~0.4, ~0.5, ~4, ~12 and ~57 s.
 *
 * Benchmark: `deno run -A bench/kernels.ts --only matmul`.
 *
 * @module
 */
import type { GpuMatmulArgs, MatmulBlock } from "./kernel_args.ts";

export type { GpuMatmulArgs, MatmulBlock };
import { type GpuContext, groups } from "./context.ts";
import { matmulTiledWgsl, TILED_MATMUL_BLOCK } from "./matmul_tiled.ts";
import { type GpuKernelVariant, gpuKernelVariant } from "./variant.ts";
import { encodeTexelMatmul, type MatmulShape, TEXEL_MATMUL_BLOCK, texelMatmulFits } from "./matmul_texel.ts";

/** The storage kernel's block. */
const STORAGE_BLOCK: MatmulBlock = { TM: 16, TN: 8, WG: 16 };
/** A software-adapter kernel and block to run instead of the chosen one: for A/B benchmarks only. */
export interface ForcedMatmulKernel {
  kernel: "storage" | "texel";
  block: MatmulBlock;
}
/**
 * Calls with at least this many rows (T) take the texel kernel where it fits: below, its compile (~10 s
 * once per process on lavapipe) and copies outweigh the run.
 */
export const LARGE_CALL_MIN_ROWS = 512;

/** Which kernel {@linkcode encodeMatmul} runs for `a` on `ctx` (benchmarks print it, tests check it). */
export function matmulKernel(
  ctx: GpuContext,
  a: MatmulShape,
  variant: GpuKernelVariant = gpuKernelVariant(ctx),
): string {
  if (variant === "tiled") return "tiled";
  if (a.T >= LARGE_CALL_MIN_ROWS && texelMatmulFits(ctx, a)) {
    return `texel ${TEXEL_MATMUL_BLOCK.TM}×${TEXEL_MATMUL_BLOCK.TN}`;
  }
  return `storage ${STORAGE_BLOCK.TM}×${STORAGE_BLOCK.TN}`;
}

function matmulWgsl(K: number, N: number, bias: boolean, f16: boolean, { TM, TN, WG }: MatmulBlock): string {
  const vec = K % 4 === 0;
  const stride = vec ? K / 4 : K;
  const elem = vec ? "vec4<f32>" : "f32";
  const rows = [...Array(TM).keys()], cols = [...Array(TN).keys()];
  const pairs = rows.flatMap((i) => cols.map((j) => [i, j]));
  // vec4 of x/w starting at element k (scalar path: four loads).
  const load = (buf: string, base: string, k: string) =>
    vec
      ? (f16 && buf === "w" ? `vec4<f32>(${buf}[${base} + ${k}])` : `${buf}[${base} + ${k}]`)
      : `vec4(${[0, 1, 2, 3].map((d) => `${buf}[${base} + ${k} + ${d}u]`).join(", ")})`;
  const tail = [...Array(vec ? 0 : K % 4).keys()].map((d) => K - (K % 4) + d);
  return `${f16 ? "enable f16;" : ""}
@group(0) @binding(0) var<storage, read> x: array<${elem}>;
@group(0) @binding(1) var<storage, read> w: array<${f16 ? "vec4<f16>" : elem}>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> shape: vec4<u32>; // T
${bias ? "@group(0) @binding(4) var<storage, read> bias: array<f32>;" : ""}

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let r0 = wid.y * ${TM}u;
  let c0 = (wid.x * ${WG}u + lid.x) * ${TN}u;
${rows.map((i) => `  let xr${i} = min(r0 + ${i}u, T - 1u) * ${stride}u;`).join("\n")}
${cols.map((j) => `  let wr${j} = min(c0 + ${j}u, ${N - 1}u) * ${stride}u;`).join("\n")}
${pairs.map(([i, j]) => `  var a${i}_${j} = 0.0;`).join("\n")}
  for (var k = 0u; k < ${vec ? stride : K - (K % 4)}u; k += ${vec ? 1 : 4}u) {
${rows.map((i) => `    let x${i} = ${load("x", `xr${i}`, "k")};`).join("\n")}
${
    cols.map((j) =>
      `    { let w${j} = ${load("w", `wr${j}`, "k")};\n${
        rows.map((i) => `      a${i}_${j} += dot(x${i}, w${j});`).join("\n")
      } }`
    ).join("\n")
  }
  }
${
    // The last K % 4 columns: each x and w value loaded once, then used by its row's or column's pairs.
    tail.map((k) =>
      `  {\n${rows.map((i) => `    let xt${i} = x[xr${i} + ${k}u];`).join("\n")}\n${
        cols.map((j) =>
          `    { let wt = w[wr${j} + ${k}u];${rows.map((i) => ` a${i}_${j} += xt${i} * wt;`).join("")} }`
        ).join("\n")
      }\n  }`
    ).join("\n")}
${
    pairs.map(([i, j]) =>
      `  if (r0 + ${i}u < T && c0 + ${j}u < ${N}u) { out[(r0 + ${i}u) * ${N}u + c0 + ${j}u] = a${i}_${j}${
        bias ? ` + bias[c0 + ${j}u]` : ""
      }; }`
    ).join("\n")
  }
}`;
}

/**
 * Records the matmul into `enc` (its own compute pass, after two copies for the texel kernel); nothing is
 * submitted. The kernel is the one kernels/gpu/variant.ts and {@linkcode matmulKernel} pick for the
 * adapter and call (`variant`, or `forced` within the software adapters' family, overrides: benchmarks and
 * tests).
 */
export function encodeMatmul(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuMatmulArgs,
  variant: GpuKernelVariant = gpuKernelVariant(ctx),
  forced?: ForcedMatmulKernel,
): void {
  const f16 = a.wF16 === true;
  if (f16 && (!ctx.f16 || a.K % 4 !== 0)) {
    throw new RangeError(
      `matmul: f16 weights need shader-f16 (${
        ctx.f16 ? "present" : "absent on this adapter"
      }) and K % 4 = 0 (K = ${a.K})`,
    );
  }
  const kernel = forced?.kernel ?? matmulKernel(ctx, a, variant);
  if (kernel.startsWith("texel")) {
    if (!texelMatmulFits(ctx, a)) throw new RangeError(`matmul: the texel kernel cannot run K = ${a.K}`);
    return encodeTexelMatmul(ctx, enc, a, forced?.block);
  }
  // The storage and tiled kernels share bindings and uniforms; only the shader and the block differ.
  const tiled = kernel === "tiled", name = tiled ? "matmul-tiled" : "matmul";
  const block = forced?.block ?? STORAGE_BLOCK;
  const pipe = ctx.pipeline(
    `${name} K${a.K} N${a.N}${a.bias ? " bias" : ""}${f16 ? " w-f16" : ""}${
      tiled ? "" : ` ${block.TM}×${block.TN} wg${block.WG}`
    }`,
    () => tiled ? matmulTiledWgsl(a.K, a.N, !!a.bias, f16) : matmulWgsl(a.K, a.N, !!a.bias, f16, block),
  );
  const buffers = [a.x, a.w, a.out, ctx.uniform([a.T, 0, 0, 0])];
  if (a.bias) buffers.push(a.bias);
  const pass = enc.beginComputePass({ label: name });
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({
        binding,
        resource: binding === 1
          ? { buffer, offset: a.wOffset ?? 0, size: a.N * a.K * (f16 ? 2 : 4) }
          : { buffer },
      })),
    }),
  );
  if (tiled) {
    pass.dispatchWorkgroups(groups(a.N, TILED_MATMUL_BLOCK.cols), groups(a.T, TILED_MATMUL_BLOCK.rows));
  } else pass.dispatchWorkgroups(groups(a.N, block.WG * block.TN), groups(a.T, block.TM));
  pass.end();
}
