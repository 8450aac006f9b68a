/**
 * Texel-fed matmul for software adapters: out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias[N]), f32, with x and w
 * read as rgba32float texels rather than from storage buffers. The same contract as kernels/gpu/matmul.ts,
 * which routes its large calls here when {@linkcode texelMatmulFits}.
 *
 * Why texels: llvmpipe runs 8 invocations in the lanes of one AVX2 register, and in the Mesa of this
 * generation a storage load is a loop over the lanes with an exec-mask test, a bounds test and a branch
 * per component (~300 instructions per vec4 for the 8 lanes), while a texel fetch is branch-free: 8
 * lane addresses, 8 loads of 16 bytes and a transpose (~50). Profiling the storage kernel with `perf`
 * put ~70% of its time in the load loops; on the same 24×24 block a texel fetch turned 29% of the adapter's
 * FMA ceiling into 50% (docs/performance.md). The operands reach the textures by two buffer-to-texture
 * copies per call (0.17 ms of a 2048×512×1376 call's ~105 here).
 *
 * Layout (kernels/gpu/texels.ts): each operand is a flat array of vec4s in a texture, so a row of x or w
 * (K/4 texels) may straddle two texture rows. Each invocation keeps a TM×TN block of accumulators in
 * named scalars (most spill to the stack, cheaply: one vector load serves all 8 lanes) and reads two
 * texels of each of its TM rows of x and TN rows of w per step, so every accumulator is written once per
 * 8 products (each write inside a loop costs llvmpipe a blend with the exec mask and a spill round trip).
 * The shape is a uniform, so one pipeline serves every T, K and N (and bias, which is a flag): it
 * compiles once per process (~10 s on lavapipe, kept by Mesa's disk cache between runs).
 *
 * Block sizes measured on lavapipe (`bench/wgsl_matmul_ab.ts`: 2048×512×1376, one thread, median % of the
 * FMA ceiling; compile time without Mesa's cache): 24×24 50% (4 s), 32×32 55% (11 s), 40×24 49% (9 s),
 * 48×24 48% (13 s); the storage kernel's 24×24 29% in the same run.
 *
 * @module
 */
import type { GpuMatmulArgs, MatmulBlock } from "./kernel_args.ts";
import type { GpuContext } from "./context.ts";
import { groups } from "./context.ts";
import { bufferBinding, copyToTexels, TEXEL_BINDING, texelFetch, texelsFit } from "./texels.ts";

/** What decides the kernel of a matmul call: its shape and how w is stored. */
export type MatmulShape = Pick<GpuMatmulArgs, "T" | "K" | "N" | "wOffset" | "wF16">;

/** Rows (TM) × columns (TN) of out per invocation; invocations per workgroup (WG, one AVX2 register). */
export const TEXEL_MATMUL_BLOCK = { TM: 32, TN: 32, WG: 8 } as const;
/** Floats of K per loop step: two texels. */
const K_STEP = 8;

/**
 * Whether the texel kernel can run this call on `ctx`: K a multiple of {@linkcode K_STEP}, float32
 * weights at a 16-byte offset, and both operands within the device's 2D texture limit.
 */
export function texelMatmulFits(ctx: Pick<GpuContext, "device">, a: MatmulShape): boolean {
  return a.K % K_STEP === 0 && !a.wF16 && (a.wOffset ?? 0) % 16 === 0 &&
    texelsFit(ctx, (a.T * a.K) / 4) && texelsFit(ctx, (a.N * a.K) / 4);
}

/** The kernel's WGSL (one for every shape; bindings: textures x, w; out; shape; bias). */
export function texelMatmulWgsl({ TM, TN, WG }: MatmulBlock = TEXEL_MATMUL_BLOCK): string {
  const rows = [...Array(TM).keys()], cols = [...Array(TN).keys()];
  const pairs = rows.flatMap((i) => cols.map((j) => [i, j]));
  // acc + x·w + y·v, one product at a time onto the accumulator: a single write per step.
  const update = (i: number, j: number) =>
    [`x${i}`, `y${i}`].flatMap((a, s) => ["x", "y", "z", "w"].map((c) => [a, s ? `v${j}` : `w${j}`, c]))
      .reduce((acc, [a, b, c]) => `fma(${a}.${c}, ${b}.${c}, ${acc})`, `a${i}_${j}`);
  return `
@group(0) @binding(0) var xt: texture_2d<f32>;
@group(0) @binding(1) var wt: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> shape: vec4<u32>; // T, K / 4, N, has bias
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let S = shape.y;
  let N = shape.z;
  let r0 = wid.y * ${TM}u;
  let c0 = (wid.x * ${WG}u + lid.x) * ${TN}u;
${rows.map((i) => `  let xr${i} = min(r0 + ${i}u, T - 1u) * S;`).join("\n")}
${cols.map((j) => `  let wr${j} = min(c0 + ${j}u, N - 1u) * S;`).join("\n")}
${pairs.map(([i, j]) => `  var a${i}_${j} = 0.0;`).join("\n")}
  for (var k = 0u; k < S; k += 2u) {
${
    rows.map((i) =>
      `    let x${i} = ${texelFetch("xt", `xr${i} + k`)};\n    let y${i} = ${
        texelFetch("xt", `xr${i} + k + 1u`)
      };`
    ).join("\n")
  }
${
    cols.map((j) =>
      `    {\n      let w${j} = ${texelFetch("wt", `wr${j} + k`)};\n      let v${j} = ${
        texelFetch("wt", `wr${j} + k + 1u`)
      };\n${rows.map((i) => `      a${i}_${j} = ${update(i, j)};`).join("\n")}\n    }`
    ).join("\n")
  }
  }
  // Bias once per column (each storage load is a loop over the lanes); 0 without one.
${cols.map((j) => `  let b${j} = select(0.0, bias[min(c0 + ${j}u, N - 1u)], shape.w != 0u);`).join("\n")}
${
    pairs.map(([i, j]) =>
      `  if (r0 + ${i}u < T && c0 + ${j}u < N) { out[(r0 + ${i}u) * N + c0 + ${j}u] = a${i}_${j} + b${j}; }`
    ).join("\n")
  }
}`;
}

/** The kernel's bind group layout. */
const BINDINGS: GPUBindGroupLayoutEntry[] = [
  { binding: 0, ...TEXEL_BINDING },
  { binding: 1, ...TEXEL_BINDING },
  { binding: 2, ...bufferBinding("storage") },
  { binding: 3, ...bufferBinding("uniform") },
  { binding: 4, ...bufferBinding("read-only-storage") },
];

/** Records the copies of x and w into the kernel's two textures (timed alone by the A/B benchmark). */
export function encodeTexelOperands(ctx: GpuContext, enc: GPUCommandEncoder, a: GpuMatmulArgs): GPUTexture[] {
  return [
    copyToTexels(ctx, enc, "matmul x", a.x, 0, (a.T * a.K) / 4),
    copyToTexels(ctx, enc, "matmul w", a.w, a.wOffset ?? 0, (a.N * a.K) / 4),
  ];
}

/**
 * Records the texel matmul into `enc` (two copies and a compute pass); call only when
 * {@linkcode texelMatmulFits}. Consecutive calls reuse the same two textures, which WebGPU orders.
 * `block` other than the default: A/B benchmarks.
 */
export function encodeTexelMatmul(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuMatmulArgs,
  block: MatmulBlock = TEXEL_MATMUL_BLOCK,
): void {
  const { TM, TN, WG } = block;
  const pipe = ctx.pipeline(`matmul-texel ${TM}×${TN} wg${WG}`, () => texelMatmulWgsl(block), BINDINGS);
  const [xt, wt] = encodeTexelOperands(ctx, enc, a);
  // Without a bias the binding still needs a storage buffer: x's, never read there (the flag is 0).
  const shape = ctx.uniform([a.T, a.K / 4, a.N, a.bias ? 1 : 0]);
  const pass = enc.beginComputePass({ label: "matmul-texel" });
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: [xt.createView(), wt.createView(), { buffer: a.out }, { buffer: shape }, {
        buffer: a.bias ?? a.x,
      }].map((resource, binding) => ({ binding, resource })),
    }),
  );
  pass.dispatchWorkgroups(groups(a.N, WG * TN), groups(a.T, TM));
  pass.end();
}
