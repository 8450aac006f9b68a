/**
 * Row- and element-wise kernels: residual add, SwiGLU, gated GELU, embedding gather, RMSNorm, RoPE. Inputs that
 * may be the output too are bound read_write (WebGPU allows one buffer in several writable storage
 * bindings, not a read-only plus a writable one), so in-place use works. They are
 * memory-bound and cheap next to matmul/attention, so they stay simple: one invocation per element
 * (per row for RMSNorm, per rotary pair for RoPE), dispatched over a 2-D grid so long sequences
 * do not hit the 65535-workgroups-per-dimension limit.
 *
 * Benchmark: they are timed only as part of a forward pass; correctness in tests/kernels.
 *
 * @module
 */
import type { AddArgs } from "../cpu/add.ts";
import type { EmbedArgs } from "../cpu/embed.ts";
import type { RmsnormArgs } from "../cpu/rmsnorm.ts";
import type { RopeRows } from "../cpu/rope.ts";
import type { RopeApply } from "../rope_apply.ts";
import type { SwigluArgs } from "../cpu/swiglu.ts";
import { type GpuContext, groups } from "./context.ts";
import { f32Bits } from "./attention.ts";

const WG = 64;
const MAX_X = 65535;

/** WGSL prelude: `i` = flat invocation index over the 2-D grid, `n` = item count (shape.x). */
export const HEAD = (bindings: string) => `
${bindings}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * ${WG}u;
  if (i >= shape.x) { return; }`;

/** Binds `buffers` in order and dispatches `n` invocations of the pipeline. */
export function dispatch(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  label: string,
  wgsl: () => string,
  buffers: GPUBuffer[],
  n: number,
): void {
  const pipe = ctx.pipeline(label, wgsl);
  const pass = enc.beginComputePass({ label });
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  const total = groups(n, WG);
  pass.dispatchWorkgroups(Math.min(total, MAX_X), groups(total, MAX_X));
  pass.end();
}

/** WGSL declaration of a read_write storage array at binding `i`. */
export const rw = (i: number, name: string, type = "f32") =>
  `@group(0) @binding(${i}) var<storage, read_write> ${name}: array<${type}>;`;
/** WGSL declaration of a read-only storage array at binding `i`. */
export const ro = (i: number, name: string, type = "f32") =>
  `@group(0) @binding(${i}) var<storage, read> ${name}: array<${type}>;`;
/** WGSL declaration of the `shape` uniform (vec4<u32>) at binding `i`. */
export const uni = (i: number) => `@group(0) @binding(${i}) var<uniform> shape: vec4<u32>;`;

/** out[i] = a[i] + b[i] for n elements (out may be a or b: each element is read before written). */
export function encodeAdd(ctx: GpuContext, enc: GPUCommandEncoder, { out, a, b, n }: AddArgs<GPUBuffer>) {
  const code = () =>
    HEAD(`${rw(0, "a")}\n${rw(1, "b")}\n${rw(2, "out")}\n${uni(3)}`) + `\n  out[i] = a[i] + b[i];\n}`;
  dispatch(ctx, enc, "add", code, [a, b, out, ctx.uniform([n, 0, 0, 0])], n);
}

/** out[i] = silu(gate[i]) · up[i] for n elements. */
export function encodeSwiglu(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  { out, gate, up, n }: SwigluArgs<GPUBuffer>,
) {
  const code = () =>
    HEAD(`${rw(0, "gate")}\n${rw(1, "up")}\n${rw(2, "out")}\n${uni(3)}`) +
    `\n  let g = gate[i];\n  out[i] = g / (1.0 + exp(-g)) * up[i];\n}`;
  dispatch(ctx, enc, "swiglu", code, [gate, up, out, ctx.uniform([n, 0, 0, 0])], n);
}

/**
 * out[i] = gelu_tanh(gate[i]) · up[i] for n elements (Gemma's MLP; see `gegluTanhRef`). tanh's argument
 * is clamped to ±10, where tanh is ±1 in float32, so drivers that compute it from exp never overflow.
 */
export function encodeGegluTanh(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  { out, gate, up, n }: SwigluArgs<GPUBuffer>,
) {
  const code = () =>
    HEAD(`${rw(0, "gate")}\n${rw(1, "up")}\n${rw(2, "out")}\n${uni(3)}`) +
    `\n  let g = gate[i];\n  let z = clamp(0.7978845608028654 * (g + 0.044715 * g * g * g), -10.0, 10.0);` +
    `\n  out[i] = 0.5 * g * (1.0 + tanh(z)) * up[i];\n}`;
  dispatch(ctx, enc, "geglu_tanh", code, [gate, up, out, ctx.uniform([n, 0, 0, 0])], n);
}

/** The shared {@linkcode EmbedArgs} on GPU buffers: the ids are an i32 buffer of T (assumed valid). */
export interface GpuEmbedArgs extends Omit<EmbedArgs<GPUBuffer>, "tokens"> {
  tokens: GPUBuffer;
  T: number;
}

/** out[t] = table[tokens[t]] (rows of D floats). */
export function encodeEmbed(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  { out, table, tokens, T, D }: GpuEmbedArgs,
) {
  const code = () =>
    HEAD(`${ro(0, "table")}\n${ro(1, "tokens", "i32")}\n${rw(2, "out")}\n${uni(3)}`) +
    `\n  let t = i / shape.y;\n  out[i] = table[u32(tokens[t]) * shape.y + i % shape.y];\n}`;
  dispatch(ctx, enc, "embed", code, [table, tokens, out, ctx.uniform([T * D, D, 0, 0])], T * D);
}

/** out[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ weight; one invocation per row (out may be x). */
export function encodeRmsnorm(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  { out, x, weight, T, D, eps }: RmsnormArgs<GPUBuffer>,
) {
  const code = () =>
    HEAD(`${rw(0, "x")}\n${ro(1, "weight")}\n${rw(2, "out")}\n${uni(3)}`) + `
  let D = shape.y;
  let o = i * D;
  var ss = 0.0;
  for (var c = 0u; c < D; c++) { let v = x[o + c]; ss += v * v; }
  let inv = inverseSqrt(ss / f32(D) + bitcast<f32>(shape.z));
  for (var c = 0u; c < D; c++) { out[o + c] = x[o + c] * inv * weight[c]; }
}`;
  dispatch(ctx, enc, "rmsnorm", code, [x, weight, out, ctx.uniform([T, D, f32Bits(eps), 0])], T);
}

/**
 * The shared {@linkcode RopeRows} on a GPU buffer, rotated by a host-computed cos/sin table
 * ([T][rotaryDim]: cosines then sines, `ropeCosSinTable`) so angles match the CPU reference exactly.
 */
export interface GpuRopeArgs extends RopeRows<GPUBuffer>, Pick<RopeApply, "rotaryDim" | "pairing"> {
  cosSin: GPUBuffer;
}

/**
 * RoPE in place on x ([T][nHeads·headDim]) from a host-computed cos/sin table ([T][rotaryDim]:
 * cosines then sines, see `ropeCosSinTable`), so angles match the CPU reference exactly.
 * One invocation per (row, pair) handles that pair in every head. `transposed` rotates by −θ (the
 * backward pass: the transposed rotation).
 */
export function encodeRope(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuRopeArgs,
  transposed = false,
) {
  const { x, cosSin } = a;
  const pairs = a.rotaryDim / 2;
  const [stride, partner] = a.pairing === "interleaved" ? [2, 1] : [1, pairs];
  const code = () =>
    HEAD(`${rw(0, "x")}\n${ro(1, "cosSin")}\n${uni(2)}`) + `
  let t = i / ${pairs}u;
  let p = i % ${pairs}u;
  let c = cosSin[t * ${a.rotaryDim}u + p];
  let s = ${transposed ? "-" : ""}cosSin[t * ${a.rotaryDim}u + ${pairs}u + p];
  for (var h = 0u; h < ${a.nHeads}u; h++) {
    let ia = (t * ${a.nHeads}u + h) * ${a.headDim}u + p * ${stride}u;
    let ib = ia + ${partner}u;
    let x0 = x[ia];
    let x1 = x[ib];
    x[ia] = x0 * c - x1 * s;
    x[ib] = x1 * c + x0 * s;
  }
}`;
  const key = `rope${
    transposed ? " transposed" : ""
  } H${a.nHeads} hd${a.headDim} rd${a.rotaryDim} ${a.pairing}`;
  dispatch(ctx, enc, key, code, [x, cosSin, ctx.uniform([a.T * pairs, 0, 0, 0])], a.T * pairs);
}
