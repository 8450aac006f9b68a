/**
 * A weight matrix kept in its file's encoding (f16, bf16, Q8_0, Q4_K, … — see `dequantize.ts`):
 * [rows][cols] with each row a whole number of blocks, so a row, or a range of rows, is a byte range.
 * The matmul kernels (`kernels/cpu/matmul_quant.ts`, `rk_matmul_q` in C) decode it a block at a time;
 * nothing holds an f32 copy, so a model's resident weights are about its file's tensor bytes.
 *
 * @module
 */
import type { LayerWeights, LlamaWeights, WeightMatrix } from "./config.ts";
import { blockOf, dequantize, dequantizeInto } from "./dequantize.ts";

/** An encoded [rows][cols] matrix (row-major, [out][in] like every weight). */
export class QuantMatrix {
  /** Bytes of one row. */
  readonly rowBytes: number;
  /**
   * @param type ggml type id (GgmlType)
   * @param bytes rows·rowBytes bytes, row after row
   */
  constructor(
    readonly type: number,
    readonly rows: number,
    readonly cols: number,
    readonly bytes: Uint8Array,
    name = "matrix",
  ) {
    const b = blockOf(type, name);
    if (cols % b.elements !== 0) {
      throw new RangeError(`${name}: rows of ${cols} values are not whole ${b.name} blocks of ${b.elements}`);
    }
    this.rowBytes = (cols / b.elements) * b.bytes;
    if (bytes.byteLength !== rows * this.rowBytes) {
      throw new RangeError(`${name}: ${bytes.byteLength} bytes, expected ${rows * this.rowBytes}`);
    }
  }

  /** Number of values (rows·cols), as a Float32Array's length. */
  get length(): number {
    return this.rows * this.cols;
  }

  /** Rows [start, end) as a matrix sharing these bytes. */
  sliceRows(start: number, end: number): QuantMatrix {
    return new QuantMatrix(
      this.type,
      end - start,
      this.cols,
      this.bytes.subarray(start * this.rowBytes, end * this.rowBytes),
    );
  }

  /** Decodes row `r` into `out` (cols floats). */
  rowInto(r: number, out: Float32Array): void {
    dequantizeInto(this.type, this.bytes.subarray(r * this.rowBytes, (r + 1) * this.rowBytes), out);
  }
}

/** The matrix's values as f32 (the array itself when it already is one). */
export function toF32(m: WeightMatrix): Float32Array {
  return m instanceof Float32Array ? m : dequantize(m.type, m.bytes, m.rows * m.cols, "matrix");
}

/** Rows [start, end) of a matrix of `cols` columns, either kind. */
export function sliceRows(m: WeightMatrix, cols: number, start: number, end: number): WeightMatrix {
  return m instanceof Float32Array
    ? m.subarray(start * cols, end * cols)
    : new QuantMatrix(m.type, end - start, m.cols, m.bytes.subarray(start * m.rowBytes, end * m.rowBytes));
}

/**
 * Every matrix as f32, for what computes on f32 only (training, the WebGPU backend, safetensors
 * export); the weights themselves when none is encoded. A tied classifier stays tied.
 */
export function denseWeights(w: LlamaWeights<WeightMatrix>): LlamaWeights {
  const all = [w.embedding, w.classifier, ...w.layers.flatMap((l) => Object.values(l))];
  if (all.every((m) => m === undefined || m instanceof Float32Array)) return w as LlamaWeights;
  const embedding = toF32(w.embedding);
  const layer = (l: LayerWeights<WeightMatrix>): LayerWeights =>
    Object.fromEntries(
      Object.entries(l).map(([k, v]) => [k, v === undefined ? v : toF32(v as WeightMatrix)]),
    ) as unknown as LayerWeights;
  return {
    config: w.config,
    embedding,
    layers: w.layers.map(layer),
    finalNorm: w.finalNorm,
    classifier: w.classifier === w.embedding ? embedding : toF32(w.classifier),
  };
}

/** Bytes the matrices and vectors of `w` hold (a tied classifier counted once). */
export function weightBytes(w: LlamaWeights<WeightMatrix>): number {
  const seen = new Set<unknown>();
  let n = 0;
  const add = (m: WeightMatrix | undefined) => {
    if (!m || seen.has(m)) return;
    seen.add(m);
    n += m instanceof Float32Array ? m.byteLength : m.bytes.byteLength;
  };
  add(w.embedding), add(w.classifier), add(w.finalNorm);
  for (const l of w.layers) Object.values(l).forEach((v) => add(v as WeightMatrix | undefined));
  return n;
}
