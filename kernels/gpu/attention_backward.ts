/**
 * Backward of causal GQA attention with per-document masks (`encodeAttention`), matching
 * `causalAttentionBackward` in `kernels/cpu/attention_backward.ts`. For a query row t of head h with
 * P = softmax over its allowed keys and Δ = dO·O (O the forward output):
 * dq_t += scale·Σ_s P_s(dO·v_s − Δ)·k_s, dk_s += scale·Σ_{t,h} P_s(dO_t·v_s − Δ_t)·q_t,
 * dv_s += Σ_{t,h} P_s·dO_t. Accumulated (+=) like the CPU reference.
 *
 * Two kernels, no atomics, nothing T×T (the softmax is recomputed from q and k, as the CPU reference
 * does; O(T) memory: T·nHeads (log-sum-exp, Δ) pairs of scratch):
 * 1. one invocation per (query row, head) walks its keys once with an online softmax (rescaling its
 *    dq accumulator when the running max grows, as the forward rescales its output), adds dq, and
 *    stores the row's log-sum-exp and Δ; it forms dO·v_s − Δ as dO·(v_s − O), which loses less to
 *    cancellation when the softmax is peaked;
 * 2. one invocation per (key row, kv head) walks the query rows that see it (t ≥ s, same document)
 *    in every query head of its group, recomputes P from the stored log-sum-exp, and adds dk and dv.
 * Rows of q, k, v and the accumulators live in named vec4 registers (generated, unrolled over
 * headDim/4), as in the forward kernel. No workgroup memory.
 *
 * Benchmark: `deno run -A tools/bench_gpu_backward.ts --only attention`; correctness:
 * `tests/kernels/gpu_backward_test.ts`.
 *
 * @module
 */
import { type GpuContext, groups } from "./context.ts";
import type { AttentionBackwardArgs } from "../cpu/attention_backward.ts";
import { f32Bits, type GpuAttentionArgs } from "./attention.ts";

/** Invocations per workgroup (along rows). */
const WG = 64;

/**
 * Buffers and shape of one attention backward: the forward call's (`out` is now its output, read to give
 * Δ = dO·O), plus the gradients.
 */
export interface GpuAttentionBackwardArgs
  extends GpuAttentionArgs, Pick<AttentionBackwardArgs<GPUBuffer>, "dq" | "dk" | "dv" | "dOut"> {}

const each = (n: number, f: (i: number) => string, sep = "\n") => [...Array(n).keys()].map(f).join(sep);

/** Kernel 1: dq and the per-row (log-sum-exp, Δ). */
function dqWgsl(nHeads: number, nKvHeads: number, headDim: number, docs: boolean): string {
  const C = headDim / 4, qStride = nHeads * C, kvStride = nKvHeads * C;
  const dots = (a: string, b: (c: number) => string) => each(C, (c) => `dot(${a}${c}, ${b(c)})`, " + ");
  return `
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> o: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dOut: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(7) var<uniform> shape: vec4<u32>; // T, bits of softmax scale
${docs ? "@group(0) @binding(8) var<storage, read> rowStart: array<i32>;" : ""}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let scale = bitcast<f32>(shape.y);
  let t = gid.x;
  let h = wid.y;
  let g = h / ${nHeads / nKvHeads}u;
  if (t >= T) { return; }
  let qo = t * ${qStride}u + h * ${C}u;
${
    each(C, (c) =>
      `  let q${c} = q[qo + ${c}u];\n  let do${c} = dOut[qo + ${c}u];\n  let o${c} = o[qo + ${c}u];`)
  }
  let delta = ${dots("do", (c) => `o${c}`)};
  var m = -3.0e38;
  var l = 0.0;
${each(C, (c) => `  var acc${c} = vec4(0.0);`)}
  for (var s = ${docs ? "u32(rowStart[t])" : "0u"}; s <= t; s++) {
    let kv = s * ${kvStride}u + g * ${C}u;
${each(C, (c) => `    let k${c} = k[kv + ${c}u];`)}
    let z = scale * (${dots("q", (c) => `k${c}`)});
    // dO·(v_s − O) = dO·v_s − Δ, without cancelling two nearly equal sums when P is peaked.
    let dpd = ${dots("do", (c) => `(v[kv + ${c}u] - o${c})`)};
    let mn = max(m, z);
    let cr = exp(m - mn);
    let e = exp(z - mn);
    l = l * cr + e;
    let w = e * dpd;
${each(C, (c) => `    acc${c} = acc${c} * cr + w * k${c};`)}
    m = mn;
  }
  let f = scale / l;
${each(C, (c) => `  dq[qo + ${c}u] += acc${c} * f;`)}
  stats[t * ${nHeads}u + h] = vec2(m + log(l), delta);
}`;
}

/** Kernel 2: dk and dv of one key row of one kv head, from the stats of kernel 1. */
function dkvWgsl(nHeads: number, nKvHeads: number, headDim: number, docs: boolean): string {
  const C = headDim / 4, qStride = nHeads * C, kvStride = nKvHeads * C, G = nHeads / nKvHeads;
  const dots = (a: string, b: string) => each(C, (c) => `dot(${a}${c}, ${b}${c})`, " + ");
  return `
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dOut: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dv: array<vec4<f32>>;
@group(0) @binding(7) var<uniform> shape: vec4<u32>; // T, bits of softmax scale
${docs ? "@group(0) @binding(8) var<storage, read> rowStart: array<i32>;" : ""}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let scale = bitcast<f32>(shape.y);
  let s = gid.x;
  let g = wid.y;
  if (s >= T) { return; }
  let kv = s * ${kvStride}u + g * ${C}u;
${each(C, (c) => `  let k${c} = k[kv + ${c}u];\n  let v${c} = v[kv + ${c}u];`)}
${each(C, (c) => `  var dk${c} = vec4(0.0);\n  var dv${c} = vec4(0.0);`)}
  for (var t = s; t < T; t++) {
${docs ? "    if (u32(rowStart[t]) > s) { break; } // rows of a later document" : ""}
    for (var h = g * ${G}u; h < (g + 1u) * ${G}u; h++) {
      let qo = t * ${qStride}u + h * ${C}u;
${each(C, (c) => `      let q${c} = q[qo + ${c}u];\n      let do${c} = dOut[qo + ${c}u];`)}
      let st = stats[t * ${nHeads}u + h];
      let p = exp(scale * (${dots("q", "k")}) - st.x);
      let ds = p * (${dots("do", "v")} - st.y) * scale;
${each(C, (c) => `      dv${c} += p * do${c};\n      dk${c} += ds * q${c};`)}
    }
  }
${each(C, (c) => `  dk[kv + ${c}u] += dk${c};\n  dv[kv + ${c}u] += dv${c};`)}
}`;
}

function pass(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  label: string,
  code: () => string,
  buffers: GPUBuffer[],
  T: number,
  heads: number,
): void {
  const pipe = ctx.pipeline(label, code);
  const p = enc.beginComputePass({ label });
  p.setPipeline(pipe);
  p.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  p.dispatchWorkgroups(groups(T, WG), heads);
  p.end();
}

/**
 * Records the attention backward into `enc` (two compute passes). The T·nHeads·2-float scratch comes
 * from the pool; call `done()` after the submission completes.
 */
export function encodeAttentionBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuAttentionBackwardArgs,
): { done(): void } {
  const { T, nHeads, nKvHeads, headDim } = a;
  if (headDim % 4 !== 0) {
    throw new RangeError(`attention backward: headDim ${headDim} must be a multiple of 4`);
  }
  if (nHeads % nKvHeads !== 0) {
    throw new RangeError(`attention backward: nHeads ${nHeads} % nKvHeads ${nKvHeads} ≠ 0`);
  }
  const docs = !!a.rowStart;
  const key = `H${nHeads} KV${nKvHeads} hd${headDim}${docs ? " docs" : ""}`;
  const shape = ctx.uniform([T, f32Bits(a.softmaxScale ?? 1 / Math.sqrt(headDim)), 0, 0]);
  const stats = ctx.acquire(T * nHeads * 8);
  const extra = a.rowStart ? [a.rowStart] : [];
  pass(
    ctx,
    enc,
    `attention backward dq ${key}`,
    () => dqWgsl(nHeads, nKvHeads, headDim, docs),
    [a.q, a.k, a.v, a.out, a.dOut, a.dq, stats, shape, ...extra],
    T,
    nHeads,
  );
  pass(
    ctx,
    enc,
    `attention backward dk dv ${key}`,
    () => dkvWgsl(nHeads, nKvHeads, headDim, docs),
    [a.q, a.k, a.v, a.dOut, stats, a.dk, a.dv, shape, ...extra],
    T,
    nKvHeads,
  );
  return { done: () => ctx.release(stats) };
}
