/**
 * Causal flash attention with GQA: out[t][h] = softmax_{s ≤ t}(scale · q[t][h]·k[s][g]) v[s][g].
 *
 * Each invocation owns R consecutive query rows of one head and walks the keys once, B keys at a
 * time: it computes B logits per row, rescales its accumulators once per block (online softmax),
 * then adds p·v. q and the accumulators live in named vec4 registers (generated, fully unrolled
 * over headDim/4, R and B) because runtime-indexed private arrays are very slow on software
 * adapters. Nothing T×T exists; per invocation the state is R·(2·headDim + 2) floats. Masked keys
 * (future rows, other documents, outside the sliding `window`, the block tail past the last row) get
 * p = 0 via select, not branches.
 *
 * Why R is large (R·headDim ≈ 1024, up to 16 rows): llvmpipe runs 8 invocations in the lanes of one
 * AVX2 register and turns every storage load into a loop over the lanes, each a guarded scalar load
 * (~2 ns per lane per vec4 here, ~40 FMAs' worth), while values that do not fit in registers spill to
 * the stack, which costs one vector load for all 8 lanes. So the kernel amortises each key's and
 * value's loads over as many rows as it can and lets q and the accumulators spill. Measured on
 * lavapipe (docs/performance.md): R = 2 → 16 took attention from ~10% to ~35% of the adapter's FMA
 * ceiling at hd64; the price is compile time (R·headDim = 1024: ~15 s for one hd64 pipeline,
 * once per shape and process; Mesa's shader cache keeps it across runs), so calls of fewer than
 * LARGE_BLOCK_MIN_ROWS query rows, where that would outweigh the run, keep the small block. The
 * large calls also read k and v as texels, copied into two textures first (as the matmul's operands,
 * kernels/gpu/texels.ts): llvmpipe fetches a texel branch-free where a storage load is a loop over
 * the lanes, which took T2048 H8 hd64 from 26–31% to 40–42% of the ceiling on one thread.
 *
 * Benchmark: `deno run -A bench/kernels.ts --only attention`.
 *
 * @module
 */
import { checkWindow } from "../cpu/attention.ts";
import { f32Bits, type GpuAttentionArgs } from "./kernel_args.ts";

export { f32Bits, type GpuAttentionArgs };
import { type GpuContext, groups } from "./context.ts";
import { attentionTiledWgsl, TILED_ATTENTION_ROWS } from "./attention_tiled.ts";
import { type GpuKernelVariant, gpuKernelVariant } from "./variant.ts";
import { bufferBinding, copyToTexels, TEXEL_BINDING, texelFetch, texelsFit } from "./texels.ts";

/** Keys per online-softmax block. */
const B = 4;
/** Invocations per workgroup (along query rows): one AVX2 register of lanes, so T/(8·R) workgroups per head. */
const WG = 8;
/** Floats of q (and of accumulators) one invocation keeps: R·headDim (see the module comment). */
const ROW_FLOATS = 1024;
/**
 * Calls with fewer query rows take the small block (R = 2, or 1 above hd64): there a block of R·hd ≈ 1024
 * would compile for longer (seconds) than the whole call runs.
 */
export const LARGE_BLOCK_MIN_ROWS = 512;

/** Rows per invocation for a call of T query rows (see {@linkcode LARGE_BLOCK_MIN_ROWS}). */
function rowsPer(headDim: number, T: number): number {
  if (T < LARGE_BLOCK_MIN_ROWS) return headDim <= 64 ? 2 : 1;
  return Math.max(1, Math.min(16, Math.floor(ROW_FLOATS / headDim)));
}

/**
 * The kernel's WGSL. `texels`: k and v are read as texels of two textures (flat vec4 arrays, see
 * kernels/gpu/texels.ts), which llvmpipe fetches without the per-lane loop of a storage load.
 */
function attentionWgsl(
  nHeads: number,
  nKvHeads: number,
  headDim: number,
  docs: boolean,
  R: number,
  texels: boolean,
): string {
  const C = headDim / 4;
  const kAt = (i: string) => texels ? texelFetch("k", i) : `k[${i}]`;
  const vAt = (i: string) => texels ? texelFetch("v", i) : `v[${i}]`;
  const rs = [...Array(R).keys()], cs = [...Array(C).keys()], bs = [...Array(B).keys()];
  const each = <T>(a: number[], f: (i: number) => T) => a.map(f).join("\n");
  const qStride = nHeads * C, kvStride = nKvHeads * C;
  const start = (r: number) =>
    `max(${docs ? `u32(rowStart[min(t0 + ${r}u, T - 1u)])` : "0u"}, ` +
    `select(0u, t0 + ${r + 1}u - W, W > 0u && t0 + ${r + 1}u > W))`;
  return `
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
${
    texels
      ? "@group(0) @binding(1) var k: texture_2d<f32>;\n@group(0) @binding(2) var v: texture_2d<f32>;"
      : "@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;\n@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;"
  }
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> shape: vec4<u32>; // T, bits of softmax scale, window (0: none)
${docs ? "@group(0) @binding(5) var<storage, read> rowStart: array<i32>;" : ""}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let scale = bitcast<f32>(shape.y);
  let W = shape.z;
  let h = wid.y;
  let g = h / ${nHeads / nKvHeads}u;
  let t0 = gid.x * ${R}u;
  if (t0 >= T) { return; }
  let last = min(t0 + ${R - 1}u, T - 1u);
${each(rs, (r) => `  let start${r} = ${start(r)};`)}
${
    each(rs, (r) =>
      each(cs, (c) =>
        `  let q${r}_${c} = q[min(t0 + ${r}u, T - 1u) * ${qStride}u + h * ${C}u + ${c}u];`))
  }
${each(rs, (r) => `  var m${r} = -3.0e38;\n  var l${r} = 0.0;`)}
${each(rs, (r) => each(cs, (c) => `  var acc${r}_${c} = vec4(0.0);`))}
  for (var s0 = ${rs.map((r) => `start${r}`).reduce((a, b) => `min(${a}, ${b})`)}; s0 <= last; s0 += ${B}u) {
${
    each(bs, (b) =>
      `    let s${b} = s0 + ${b}u;\n    let kv${b} = min(s${b}, last) * ${kvStride}u + g * ${C}u;\n` +
      each(rs, (r) =>
        `    let ok${r}_${b} = s${b} <= t0 + ${r}u && s${b} >= start${r} && t0 + ${r}u < T;\n` +
        `    let z${r}_${b} = select(-3.0e38, scale * (${
          cs.map((c) =>
            `dot(q${r}_${c}, ${kAt(`kv${b} + ${c}u`)})`
          ).join(" + ")
        }), ok${r}_${b});`))
  }
${
    each(rs, (r) =>
      `    let mn${r} = max(m${r}, max(${
        bs.map((b) =>
          `z${r}_${b}`
        ).reduce((a, z) => `max(${a}, ${z})`)
      }, -3.0e38));\n` +
      `    let c${r} = exp(m${r} - mn${r});\n` +
      `    m${r} = mn${r};\n` +
      each(bs, (b) => `    let p${r}_${b} = select(0.0, exp(z${r}_${b} - mn${r}), ok${r}_${b});`) + "\n" +
      `    l${r} = l${r} * c${r} + ${bs.map((b) => `p${r}_${b}`).join(" + ")};`)
  }
${each(rs, (r) => each(cs, (c) => `    acc${r}_${c} *= c${r};`))}
${
    each(bs, (b) =>
      each(cs, (c) =>
        `    { let vv = ${vAt(`kv${b} + ${c}u`)};\n` + each(rs, (r) =>
          `      acc${r}_${c} += p${r}_${b} * vv;`) +
        " }"))
  }
  }
${
    each(rs, (r) =>
      `  if (t0 + ${r}u < T) {\n` +
      each(cs, (c) => `    out[(t0 + ${r}u) * ${qStride}u + h * ${C}u + ${c}u] = acc${r}_${c} / l${r};`) +
      "\n  }")
  }
}`;
}

/**
 * Which kernel {@linkcode encodeAttention} runs for `a` on `ctx`: "tiled", or the software adapters'
 * kernel with R query rows per invocation reading k and v from storage ("storage R2") or, for calls of
 * LARGE_BLOCK_MIN_ROWS rows that fit the texture limit, as texels ("texel R16"; see attentionWgsl).
 */
export function attentionKernel(
  ctx: Pick<GpuContext, "device">,
  a: Pick<GpuAttentionArgs, "T" | "nKvHeads" | "headDim">,
  variant: GpuKernelVariant,
): string {
  if (variant === "tiled") return "tiled";
  const R = rowsPer(a.headDim, a.T);
  const texels = a.T >= LARGE_BLOCK_MIN_ROWS && texelsFit(ctx, (a.T * a.nKvHeads * a.headDim) / 4);
  return `${texels ? "texel" : "storage"} R${R}`;
}

/**
 * Records causal attention into `enc` (its own compute pass); nothing is submitted. The kernel is the
 * one kernels/gpu/variant.ts picks for the adapter (`variant` forces one: benchmarks and tests).
 */
export function encodeAttention(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuAttentionArgs,
  variant: GpuKernelVariant = gpuKernelVariant(ctx),
): void {
  const { nHeads, nKvHeads, headDim } = a;
  if (headDim % 4 !== 0) throw new RangeError(`attention: headDim ${headDim} must be a multiple of 4`);
  if (nHeads % nKvHeads !== 0) throw new RangeError(`attention: nHeads ${nHeads} % nKvHeads ${nKvHeads} ≠ 0`);
  checkWindow(a.window);
  // The two families share bindings and uniforms; only the shader and the rows per workgroup differ.
  const tiled = variant === "tiled", name = tiled ? "attention-tiled" : "attention";
  const docs = !!a.rowStart;
  const R = rowsPer(headDim, a.T);
  const kvTexels = (a.T * nKvHeads * headDim) / 4;
  const texels = attentionKernel(ctx, a, variant).startsWith("texel");
  const pipe = ctx.pipeline(
    `${name} H${nHeads} KV${nKvHeads} hd${headDim}${docs ? " docs" : ""}${tiled ? "" : ` R${R}`}${
      texels ? " texels" : ""
    }`,
    () =>
      tiled
        ? attentionTiledWgsl(nHeads, nKvHeads, headDim, docs)
        : attentionWgsl(nHeads, nKvHeads, headDim, docs, R, texels),
    texels
      ? [
        { binding: 0, ...bufferBinding("read-only-storage") },
        { binding: 1, ...TEXEL_BINDING },
        { binding: 2, ...TEXEL_BINDING },
        { binding: 3, ...bufferBinding("storage") },
        { binding: 4, ...bufferBinding("uniform") },
        ...(docs ? [{ binding: 5, ...bufferBinding("read-only-storage") }] : []),
      ]
      : undefined,
  );
  const scale = a.softmaxScale ?? 1 / Math.sqrt(headDim);
  const resources: GPUBindingResource[] = [
    { buffer: a.q },
    texels ? copyToTexels(ctx, enc, "attention k", a.k, 0, kvTexels).createView() : { buffer: a.k },
    texels ? copyToTexels(ctx, enc, "attention v", a.v, 0, kvTexels).createView() : { buffer: a.v },
    { buffer: a.out },
    { buffer: ctx.uniform([a.T, f32Bits(scale), a.window ?? 0, 0]) },
  ];
  if (a.rowStart) resources.push({ buffer: a.rowStart });
  const pass = enc.beginComputePass({ label: name });
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: resources.map((resource, binding) => ({ binding, resource })),
    }),
  );
  pass.dispatchWorkgroups(groups(a.T, tiled ? TILED_ATTENTION_ROWS : WG * R), nHeads);
  pass.end();
}
