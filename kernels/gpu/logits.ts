/**
 * LM head → log-softmax → per-token NLL without a T×V buffer: the vocabulary is processed in chunks
 * of C rows of wcls (C·T logits of scratch, ≤ 64 MiB, and each wcls slice ≤ 128 MiB so it fits one
 * storage binding even for 150K vocabularies). Per chunk: a matmul writes the chunk's logits, then
 * one invocation per row folds them into a running (max, sum of exp, target logit). A last pass
 * writes nll[t] = max + log(sum) − target logit.
 *
 * Benchmark: dominated by its matmuls (see matmul.ts).
 *
 * @module
 */
import type { LogitsNllArgs } from "../cpu/logits.ts";
import { type GpuContext, groups } from "./context.ts";
import { encodeMatmul } from "./matmul.ts";

const WG = 64;
/** Logits scratch budget in floats (64 MiB). */
const SCRATCH_FLOATS = 1 << 24;

/** The shared {@linkcode LogitsNllArgs} on GPU buffers, with the targets on the device and the NLL written to `nll`. */
export interface GpuLogitsNllArgs extends Omit<LogitsNllArgs<GPUBuffer>, "targets"> {
  /** [T] i32 target ids in [0, V). */
  targets: GPUBuffer;
  /** [T] f32, written. */
  nll: GPUBuffer;
}

/** Vocabulary rows per chunk: a multiple of 64 (keeps slice offsets 256-byte aligned). */
export function vocabChunk(T: number, D: number, V: number): number {
  const byScratch = Math.floor(SCRATCH_FLOATS / T / 64) * 64;
  const byBinding = Math.floor((1 << 27) / (4 * D) / 64) * 64;
  return Math.max(64, Math.min(V, byScratch, byBinding));
}

const FOLD = `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>; // max, sum, target logit
@group(0) @binding(3) var<uniform> shape: vec4<u32>; // T, chunk rows, chunk start, first chunk

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= shape.x) { return; }
  let C = shape.y;
  var st = state[t];
  if (shape.w == 1u) { st = vec4(-3.0e38, 0.0, 0.0, 0.0); }
  var m = st.x;
  for (var n = 0u; n < C; n++) { m = max(m, logits[t * C + n]); }
  var sum = st.y * exp(st.x - m);
  for (var n = 0u; n < C; n++) { sum += exp(logits[t * C + n] - m); }
  let local = u32(targets[t]) - shape.z; // wraps to a huge value when the target is before the chunk
  if (local < C) { st.z = logits[t * C + local]; }
  state[t] = vec4(m, sum, st.z, 0.0);
}`;

const FINISH = `
@group(0) @binding(0) var<storage, read> state: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> nll: array<f32>;
@group(0) @binding(2) var<uniform> shape: vec4<u32>; // T

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= shape.x) { return; }
  let st = state[t];
  nll[t] = st.x + log(st.y) - st.z;
}`;

function pass(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  key: string,
  code: string,
  buffers: GPUBuffer[],
  T: number,
) {
  const pipe = ctx.pipeline(key, () => code);
  const p = enc.beginComputePass({ label: key });
  p.setPipeline(pipe);
  p.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  p.dispatchWorkgroups(groups(T, WG));
  p.end();
}

/**
 * Folds one chunk of logits ([T][N], vocabulary rows c0..c0+N) into `state` ([T] vec4: running max,
 * sum of exp, target logit); the chunk with c0 = 0 starts the state afresh.
 */
export function encodeNllFold(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  logits: GPUBuffer,
  targets: GPUBuffer,
  state: GPUBuffer,
  T: number,
  N: number,
  c0: number,
): void {
  const shape = ctx.uniform([T, N, c0, c0 === 0 ? 1 : 0]);
  pass(ctx, enc, "nll fold", FOLD, [logits, targets, state, shape], T);
}

/** nll[t] = max + log(sum) − target logit from a folded `state` (see {@linkcode encodeNllFold}). */
export function encodeNllFinish(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  state: GPUBuffer,
  nll: GPUBuffer,
  T: number,
): void {
  pass(ctx, enc, "nll finish", FINISH, [state, nll, ctx.uniform([T, 0, 0, 0])], T);
}

/**
 * Records the chunked NLL into `enc`. Scratch buffers come from the context's pool and go back to it
 * when `done()` is called after the submission completes.
 */
export function encodeLogitsNll(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuLogitsNllArgs,
): { done(): void } {
  const { T, D, V } = a;
  const C = vocabChunk(T, D, V);
  const logits = ctx.acquire(T * C * 4);
  const state = ctx.acquire(T * 16);
  for (let c0 = 0; c0 < V; c0 += C) {
    const N = Math.min(C, V - c0);
    encodeMatmul(ctx, enc, { x: a.hidden, w: a.wcls, out: logits, T, K: D, N, wOffset: c0 * D * 4 });
    encodeNllFold(ctx, enc, logits, a.targets, state, T, N, c0);
  }
  encodeNllFinish(ctx, enc, state, a.nll, T);
  return {
    done() {
      ctx.release(logits);
      ctx.release(state);
    },
  };
}
