/**
 * CPU reference matmul and embedding gather over an encoded weight matrix (a GGUF file's f16, bf16,
 * Q8_0, Q4_K, … rows, kept as stored): rows are decoded a few at a time into a small f32 scratch and
 * multiplied by {@linkcode matmulRef}, so each output is the very sum the f32 model made from the
 * decoded values computes, bit for bit. The native/WebAssembly twin is `rk_matmul_q` (quant.c).
 *
 * @module
 */
import { type MatmulArgs, matmulRef } from "./matmul.ts";

/** An encoded [rows][cols] matrix whose rows decode independently (model/quant_matrix.ts implements it). */
export interface EncodedMatrix {
  /** ggml type id. */
  readonly type: number;
  /** Output rows N of the [N][K] matrix. */
  readonly rows: number;
  /** Input columns K (a whole number of the type's blocks). */
  readonly cols: number;
  /** rows·cols (a Float32Array's length for the same matrix). */
  readonly length: number;
  /** rows·rowBytes bytes, row after row. */
  readonly bytes: Uint8Array;
  /** Bytes of one encoded row. */
  readonly rowBytes: number;
  /** Decodes row `r` into `out` (cols floats). */
  rowInto(r: number, out: Float32Array): void;
}

/** A weight matrix as the reference kernels take it: f32 or encoded. */
export type AnyMatrix = Float32Array | EncodedMatrix;

/** Weight rows decoded per step: a [T][ROWS] partial result and a [ROWS][K] scratch. */
const ROWS = 32;

/** out[T×N] = x[T×K] · wᵀ (+ bias) with w encoded [N][K]. */
export function matmulEncodedRef(
  { out, x, w, T, K, N, bias }: MatmulArgs<Float32Array, EncodedMatrix>,
): void {
  if (w.rows !== N || w.cols !== K) {
    throw new RangeError(`encoded matrix is [${w.rows}][${w.cols}], the matmul needs [${N}][${K}]`);
  }
  const rows = Math.min(ROWS, N);
  const scratch = new Float32Array(rows * K), part = new Float32Array(T * rows);
  for (let n0 = 0; n0 < N; n0 += rows) {
    const r = Math.min(rows, N - n0);
    for (let i = 0; i < r; i++) w.rowInto(n0 + i, scratch.subarray(i * K, (i + 1) * K));
    const b = bias?.subarray(n0, n0 + r);
    matmulRef({ out: part, x, w: scratch.subarray(0, r * K), T, K, N: r, bias: b });
    for (let t = 0; t < T; t++) out.set(part.subarray(t * r, t * r + r), t * N + n0);
  }
}

/** {@linkcode matmulRef} or {@linkcode matmulEncodedRef}, by the weight's kind. */
export function matmulAnyRef(a: MatmulArgs<Float32Array, AnyMatrix>): void {
  if (a.w instanceof Float32Array) matmulRef(a as MatmulArgs);
  else matmulEncodedRef(a as MatmulArgs<Float32Array, EncodedMatrix>);
}
