/**
 * Backward kernels of the llama forward pass, except attention (see `attention_backward.ts`): matmul
 * (dx, dW, dBias), RMSNorm (dx, dWeight), embedding (scatter-add), RoPE (the transposed rotation),
 * SwiGLU, and LM head + NLL (softmax − one-hot, times lossScale, into dHidden and dClassifier). Each
 * matches its CPU reference in `kernels/cpu/*_backward.ts` and, like it, accumulates (+=) into the gradient
 * buffers so callers can sum micro-batches. Gradients must not alias the inputs they are computed
 * from (as in the CPU references).
 *
 * No float atomics anywhere: every output element is owned by one invocation. Reductions over rows
 * (dW, dBias, dWeight) are done by an invocation per output column walking the rows; the embedding
 * scatter-add walks a host-built index of the positions of each distinct token
 * ({@linkcode embedBackwardIndex}), so it is deterministic. The matmul products are register-blocked
 * (4 rows × 4 columns, vec4 along the contiguous dimension when it is a multiple of 4), generated like
 * the forward matmul; the rest is one invocation per element or row, as in `elementwise.ts`. No
 * workgroup memory is used.
 *
 * Benchmark: `deno run -A tools/bench_gpu_backward.ts` (cold and warm time per kernel at llama-like
 * shapes); correctness: `tests/kernels/gpu_backward_test.ts`.
 *
 * @module
 */
import type { LogitsNllBackwardArgs } from "../cpu/logits_backward.ts";
import type { MatmulBackwardArgs } from "../cpu/matmul_backward.ts";
import type { RmsnormBackwardArgs } from "../cpu/rmsnorm_backward.ts";
import type { SwigluBackwardArgs } from "../cpu/swiglu_backward.ts";
import { type GpuContext, groups } from "./context.ts";
import { f32Bits } from "./attention.ts";
import { dispatch, encodeRope, type GpuRopeArgs, HEAD, ro, rw, uni } from "./elementwise.ts";
import { encodeMatmul } from "./matmul.ts";
import { encodeNllFinish, encodeNllFold, vocabChunk } from "./logits.ts";

/** Rows (i) per invocation in the matmul backward products. */
const TM = 4;
/** Columns (j, in vec4s when vectorised) per invocation. */
const TN = 4;
/** Workgroup: 8 × 8 invocations (x along columns, y along rows). */
const WG2 = 8;
/** Storage binding offsets must be multiples of this (WebGPU's default minimum). */
const OFFSET_ALIGN = 256;

/** The shared {@linkcode MatmulBackwardArgs} on GPU buffers, plus where w and dW sit in theirs. */
export interface GpuMatmulBackwardArgs extends MatmulBackwardArgs<GPUBuffer> {
  /** Byte offset of row 0 of w inside its buffer (multiple of 256). */
  wOffset?: number;
  /** Byte offset of row 0 of dW inside its buffer (multiple of 256). */
  dWOffset?: number;
}

/**
 * acc[i][j] += Σ_{r < R} a[i·aI + r·aR] · b[r][j] for i < M (shape.x), j < P, R = shape.y. Each
 * invocation owns a TM×TN block of acc in named registers; loads are clamped, stores masked.
 */
function accumulateWgsl(P: number, aI: number, aR: number): string {
  const W = P % 4 === 0 ? 4 : 1;
  const Pv = P / W;
  const elem = W === 4 ? "vec4<f32>" : "f32";
  const zero = W === 4 ? "vec4(0.0)" : "0.0";
  const rows = [...Array(TM).keys()], cols = [...Array(TN).keys()];
  const pairs = rows.flatMap((i) => cols.map((j) => [i, j]));
  return `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<${elem}>;
@group(0) @binding(2) var<storage, read_write> acc: array<${elem}>;
@group(0) @binding(3) var<uniform> shape: vec4<u32>; // M, R

@compute @workgroup_size(${WG2}, ${WG2})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M = shape.x;
  let R = shape.y;
  let i0 = gid.y * ${TM}u;
  let j0 = gid.x * ${TN}u;
  if (i0 >= M || j0 >= ${Pv}u) { return; }
${rows.map((i) => `  let ai${i} = min(i0 + ${i}u, M - 1u) * ${aI}u;`).join("\n")}
${cols.map((j) => `  let bj${j} = min(j0 + ${j}u, ${Pv - 1}u);`).join("\n")}
${pairs.map(([i, j]) => `  var c${i}_${j} = ${zero};`).join("\n")}
  for (var r = 0u; r < R; r++) {
    let ar = r * ${aR}u;
    let br = r * ${Pv}u;
${rows.map((i) => `    let a${i} = a[ai${i} + ar];`).join("\n")}
${cols.map((j) => `    let b${j} = b[br + bj${j}];`).join("\n")}
${pairs.map(([i, j]) => `    c${i}_${j} += a${i} * b${j};`).join("\n")}
  }
${
    pairs.map(([i, j]) =>
      `  if (i0 + ${i}u < M && j0 + ${j}u < ${Pv}u) { acc[(i0 + ${i}u) * ${Pv}u + j0 + ${j}u] += c${i}_${j}; }`
    ).join("\n")
  }
}`;
}

function checkOffset(name: string, offset: number): void {
  if (offset % OFFSET_ALIGN !== 0) {
    throw new RangeError(`matmul backward: ${name} ${offset} is not a multiple of ${OFFSET_ALIGN}`);
  }
}

/** One accumulate pass: acc (M×P) += A·b with the given bindings (whole buffers or slices). */
function accumulatePass(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  label: string,
  code: () => string,
  resources: GPUBufferBinding[],
  M: number,
  R: number,
  P: number,
): void {
  const pipe = ctx.pipeline(label, code);
  const pass = enc.beginComputePass({ label });
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    ctx.device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: [...resources, { buffer: ctx.uniform([M, R, 0, 0]) }].map((resource, binding) => ({
        binding,
        resource,
      })),
    }),
  );
  const colTiles = Math.ceil((P % 4 === 0 ? P / 4 : P) / TN);
  pass.dispatchWorkgroups(groups(colTiles, WG2), groups(Math.ceil(M / TM), WG2));
  pass.end();
}

/**
 * Records the backward of a matmul into `enc`: dx[T×K] += dOut·w, dW[N×K] += dOutᵀ·x,
 * dBias[N] += Σ_t dOut[t] (each its own compute pass); nothing is submitted.
 */
export function encodeMatmulBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuMatmulBackwardArgs,
): void {
  const { T, K, N } = a;
  const wOffset = a.wOffset ?? 0, dWOffset = a.dWOffset ?? 0;
  checkOffset("wOffset", wOffset);
  checkOffset("dWOffset", dWOffset);
  const slice = N * K * 4;
  if (a.dx) {
    // dx[t][k] += Σ_n dOut[t][n]·w[n][k]: rows i = t (stride N in dOut), reduction r = n.
    accumulatePass(
      ctx,
      enc,
      `matmul backward dx K${K} N${N}`,
      () => accumulateWgsl(K, N, 1),
      [{ buffer: a.dOut }, { buffer: a.w, offset: wOffset, size: slice }, { buffer: a.dx }],
      T,
      N,
      K,
    );
  }
  // dW[n][k] += Σ_t dOut[t][n]·x[t][k]: rows i = n (stride 1 in dOut), reduction r = t (stride N).
  accumulatePass(
    ctx,
    enc,
    `matmul backward dW K${K} N${N}`,
    () => accumulateWgsl(K, 1, N),
    [{ buffer: a.dOut }, { buffer: a.x }, { buffer: a.dW, offset: dWOffset, size: slice }],
    N,
    T,
    K,
  );
  if (a.dBias) {
    const code = () =>
      HEAD(`${ro(0, "dOut")}\n${rw(1, "dBias")}\n${uni(2)}`) + `
  var s = 0.0;
  for (var t = 0u; t < shape.y; t++) { s += dOut[t * shape.x + i]; }
  dBias[i] += s;
}`;
    dispatch(ctx, enc, "matmul backward dBias", code, [a.dOut, a.dBias, ctx.uniform([N, T, 0, 0])], N);
  }
}

/**
 * Records the backward of RMSNorm (y = x·r ⊙ w, r = (mean(x²) + eps)^-½) into `enc`. With g = dy ⊙ w:
 * dx += r·g − x·r³·(g·x)/D (one invocation per row, which also stores r), then dWeight += Σ_t dy ⊙ x·r
 * (one invocation per channel). The [T] scratch for r comes from the pool; call `done()` after the
 * submission completes. dx must not alias dOut.
 */
export function encodeRmsnormBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: RmsnormBackwardArgs<GPUBuffer>,
): { done(): void } {
  const { T, D } = a;
  const rstd = ctx.acquire(T * 4);
  const rows = () =>
    HEAD(`${ro(0, "dOut")}\n${ro(1, "x")}\n${ro(2, "weight")}\n${rw(3, "dx")}\n${rw(4, "rstd")}\n${uni(5)}`) +
    `
  let D = shape.y;
  let o = i * D;
  var ss = 0.0;
  var gx = 0.0;
  for (var c = 0u; c < D; c++) {
    let v = x[o + c];
    ss += v * v;
    gx += dOut[o + c] * weight[c] * v;
  }
  let r = 1.0 / sqrt(ss / f32(D) + bitcast<f32>(shape.z));
  let k = r * r * r * gx / f32(D);
  for (var c = 0u; c < D; c++) { dx[o + c] += r * dOut[o + c] * weight[c] - k * x[o + c]; }
  rstd[i] = r;
}`;
  dispatch(
    ctx,
    enc,
    "rmsnorm backward dx",
    rows,
    [a.dOut, a.x, a.weight, a.dx, rstd, ctx.uniform([T, D, f32Bits(a.eps), 0])],
    T,
  );
  const cols = () =>
    HEAD(`${ro(0, "dOut")}\n${ro(1, "x")}\n${ro(2, "rstd")}\n${rw(3, "dWeight")}\n${uni(4)}`) + `
  let D = shape.x;
  var s = 0.0;
  for (var t = 0u; t < shape.y; t++) { s += dOut[t * D + i] * x[t * D + i] * rstd[t]; }
  dWeight[i] += s;
}`;
  dispatch(
    ctx,
    enc,
    "rmsnorm backward dWeight",
    cols,
    [a.dOut, a.x, rstd, a.dWeight, ctx.uniform([D, T, 0, 0])],
    D,
  );
  return { done: () => ctx.release(rstd) };
}

/**
 * The host-side index the embedding backward walks: the distinct tokens of `tokens` and, for each,
 * the positions holding it (ascending). Packed as one i32 array: offsets[rows + 1] (into positions),
 * then the token id of each row, then the T positions. Throws a RangeError for an id outside [0, V).
 */
export function embedBackwardIndex(
  tokens: ArrayLike<number>,
  V: number,
): { index: Int32Array<ArrayBuffer>; rows: number } {
  const T = tokens.length;
  for (let t = 0; t < T; t++) {
    const id = tokens[t];
    if (!(Number.isInteger(id) && id >= 0 && id < V)) {
      throw new RangeError(`token ${id} at ${t} is outside [0, ${V})`);
    }
  }
  const order = Int32Array.from({ length: T }, (_, t) => t).sort((a, b) => tokens[a] - tokens[b] || a - b);
  let rows = 0;
  for (let k = 0; k < T; k++) if (k === 0 || tokens[order[k]] !== tokens[order[k - 1]]) rows++;
  const index = new Int32Array(2 * rows + 1 + T);
  let r = 0;
  for (let k = 0; k < T; k++) {
    if (k === 0 || tokens[order[k]] !== tokens[order[k - 1]]) {
      index[r] = k;
      index[rows + 1 + r] = tokens[order[k]];
      r++;
    }
  }
  index[rows] = T;
  index.set(order, 2 * rows + 1);
  return { index, rows };
}

/**
 * Records the embedding backward into `enc`: dTable[id] += Σ_{t: tokens[t] = id} dOut[t] for every
 * distinct id, one invocation per (distinct id, channel), walking the index from
 * {@linkcode embedBackwardIndex} (uploaded as an i32 buffer). No atomics; repeated tokens add up.
 */
export function encodeEmbedBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: { dTable: GPUBuffer; dOut: GPUBuffer; index: GPUBuffer; rows: number; D: number },
): void {
  const { rows, D } = a;
  if (rows === 0) return;
  const code = () =>
    HEAD(`${ro(0, "dOut")}\n${ro(1, "index", "i32")}\n${rw(2, "dTable")}\n${uni(3)}`) + `
  let D = shape.y;
  let U = shape.z;
  let j = i / D;
  let d = i % D;
  var s = 0.0;
  for (var k = u32(index[j]); k < u32(index[j + 1u]); k++) {
    s += dOut[u32(index[2u * U + 1u + k]) * D + d];
  }
  let row = u32(index[U + 1u + j]);
  dTable[row * D + d] += s;
}`;
  dispatch(
    ctx,
    enc,
    "embed backward",
    code,
    [a.dOut, a.index, a.dTable, ctx.uniform([rows * D, D, rows, 0])],
    rows * D,
  );
}

/**
 * Records the RoPE backward into `enc`: x ([T][nHeads·headDim], the output gradient) becomes the
 * input gradient in place, by the transposed rotation [[c, s], [−s, c]] per pair. `cosSin` is the
 * same host table the forward `encodeRope` takes (`ropeCosSinTable(p, T)`: scale, positions, start
 * tokens and frequencies are all in it); channels ≥ rotaryDim pass through.
 */
export function encodeRopeBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuRopeArgs,
): void {
  // The transposed rotation is the rotation by −θ: the forward kernel with sin negated (exactly, in f32).
  encodeRope(ctx, enc, a, true);
}

/**
 * Records the SwiGLU backward (out = silu(gate)·up) into `enc`, with σ = sigmoid(g):
 * dGate += dOut·up·σ(1 + g(1 − σ)), dUp += dOut·g·σ for n elements.
 */
export function encodeSwigluBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: SwigluBackwardArgs<GPUBuffer>,
): void {
  const code = () =>
    HEAD(
      `${ro(0, "dOut")}\n${ro(1, "gate")}\n${ro(2, "up")}\n${rw(3, "dGate")}\n${rw(4, "dUp")}\n${uni(5)}`,
    ) +
    `
  let g = gate[i];
  let s = 1.0 / (1.0 + exp(-g));
  let go = dOut[i];
  dGate[i] += go * up[i] * s * (1.0 + g * (1.0 - s));
  dUp[i] += go * g * s;
}`;
  dispatch(
    ctx,
    enc,
    "swiglu backward",
    code,
    [a.dOut, a.gate, a.up, a.dGate, a.dUp, ctx.uniform([a.n, 0, 0, 0])],
    a.n,
  );
}

/**
 * The shared {@linkcode LogitsNllBackwardArgs} on GPU buffers, with the targets on the device and the
 * per-token NLL written to a buffer rather than returned.
 */
export interface GpuLogitsNllBackwardArgs extends Omit<LogitsNllBackwardArgs<GPUBuffer>, "targets"> {
  /** [T] i32 target ids in [0, V). */
  targets: GPUBuffer;
  /** [T] f32, written: the per-token NLL (as `encodeLogitsNll`). */
  nll: GPUBuffer;
  /** Vocabulary rows per chunk (a multiple of 64); default `vocabChunk(T, D, V)`. */
  chunk?: number;
}

/**
 * Records the LM head + NLL backward into `enc`. The vocabulary is processed in the chunks of
 * `encodeLogitsNll` (no T×V buffer): a first sweep folds each chunk's logits into the per-row
 * log-sum-exp and writes nll; a second sweep recomputes each chunk's logits (kept from the first
 * when there is one chunk), turns them in place into lossScale·(softmax − one-hot), then
 * dHidden += G·wcls[chunk] and dWcls[chunk] += Gᵀ·hidden. Scratch comes from the pool; call
 * `done()` after the submission completes.
 */
export function encodeLogitsNllBackward(
  ctx: GpuContext,
  enc: GPUCommandEncoder,
  a: GpuLogitsNllBackwardArgs,
): { done(): void } {
  const { T, D, V } = a;
  if (a.chunk !== undefined && !(Number.isInteger(a.chunk) && a.chunk > 0 && a.chunk % 64 === 0)) {
    throw new RangeError(`logits backward: chunk ${a.chunk} must be a positive multiple of 64`);
  }
  const C = a.chunk ?? vocabChunk(T, D, V);
  const logits = ctx.acquire(T * Math.min(C, V) * 4);
  const state = ctx.acquire(T * 16);
  const chunkLogits = (c0: number, N: number) =>
    encodeMatmul(ctx, enc, { x: a.hidden, w: a.wcls, out: logits, T, K: D, N, wOffset: c0 * D * 4 });
  for (let c0 = 0; c0 < V; c0 += C) {
    const N = Math.min(C, V - c0);
    chunkLogits(c0, N);
    encodeNllFold(ctx, enc, logits, a.targets, state, T, N, c0);
  }
  encodeNllFinish(ctx, enc, state, a.nll, T);
  const grad = () =>
    HEAD(`${rw(0, "logits")}\n${ro(1, "targets", "i32")}\n${ro(2, "state", "vec4<f32>")}\n${uni(3)}`) + `
  let N = shape.y;
  let t = i / N;
  let n = i % N;
  let st = state[t];
  let scale = bitcast<f32>(shape.w);
  var g = exp(logits[i] - (st.x + log(st.y))) * scale;
  if (u32(targets[t]) == shape.z + n) { g -= scale; }
  logits[i] = g;
}`;
  for (let c0 = 0; c0 < V; c0 += C) {
    const N = Math.min(C, V - c0);
    if (C < V) chunkLogits(c0, N);
    const shape = ctx.uniform([T * N, N, c0, f32Bits(a.lossScale)]);
    dispatch(ctx, enc, "nll backward softmax", grad, [logits, a.targets, state, shape], T * N);
    encodeMatmulBackward(ctx, enc, {
      dOut: logits,
      x: a.hidden,
      w: a.wcls,
      dx: a.dHidden,
      dW: a.dWcls,
      wOffset: c0 * D * 4,
      dWOffset: c0 * D * 4,
      T,
      K: D,
      N,
    });
  }
  return {
    done() {
      ctx.release(logits);
      ctx.release(state);
    },
  };
}
