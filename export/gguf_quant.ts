/**
 * Which ggml type each tensor of a quantized GGUF export gets, and its encoding. `q8_0` and `q6_k`
 * put every matrix in that type; `q4_k` is a mix like llama.cpp's Q4_K_M: Q4_K, with Q6_K for the
 * output matrix and for attn_v / ffn_down in the first and last eighth of the layers and every third
 * one between (the tensors whose error costs the most). A matrix whose rows are not whole blocks
 * (256 values for K-quants, 32 for Q8_0) falls back to Q8_0, else F16; vectors stay F32.
 *
 * @module
 */
import { GgmlType } from "../model/dequantize.ts";
import type { GgufTensorBytes } from "../model/gguf_writer.ts";
import { type QuantizableType, quantize } from "./quantize.ts";

/** The `--quant` choices of the GGUF export. */
export const EXPORT_QUANTS = ["q8_0", "q4_k", "q6_k"] as const;
export type ExportQuant = typeof EXPORT_QUANTS[number];

/** `general.file_type` (llama.cpp's LLAMA_FTYPE_MOSTLY_*) of each choice: Q8_0, Q4_K_M, Q6_K. */
export const GGUF_FILE_TYPE: Record<ExportQuant, number> = { q8_0: 7, q4_k: 15, q6_k: 18 };

/** Layers whose attn_v and ffn_down get more bits in the q4_k mix (llama.cpp's rule for Q4_K_M). */
function moreBits(layer: number, nLayers: number): boolean {
  return layer < nLayers / 8 || layer >= (7 * nLayers) / 8 || (layer - Math.floor(nLayers / 8)) % 3 === 2;
}

/** The ggml type of tensor `name` (rows of `cols` values; `dims` its ggml dims) under `quant`. */
export function exportTensorType(name: string, dims: number[], quant: ExportQuant, nLayers: number): number {
  if (dims.length !== 2) return GgmlType.F32;
  const cols = dims[0];
  let want: number = quant === "q8_0" ? GgmlType.Q8_0 : GgmlType.Q6_K;
  if (quant === "q4_k") {
    const layer = /^blk\.(\d+)\./.exec(name);
    const sensitive = name === "output.weight" ||
      (layer !== null && /\.(attn_v|ffn_down)\.weight$/.test(name) && moreBits(Number(layer[1]), nLayers));
    want = sensitive ? GgmlType.Q6_K : GgmlType.Q4_K;
  }
  if (want !== GgmlType.Q8_0 && cols % 256 !== 0) want = GgmlType.Q8_0;
  return cols % 32 === 0 ? want : GgmlType.F16;
}

/** The tensor `data` (ggml dims `dims`) encoded for a `quant` export. */
export function encodeExportTensor(
  name: string,
  dims: number[],
  data: Float32Array,
  quant: ExportQuant,
  nLayers: number,
): GgufTensorBytes {
  const type = exportTensorType(name, dims, quant, nLayers);
  const bytes = type === GgmlType.F32
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : type === GgmlType.F16
    ? new Uint8Array(new Float16Array(data).buffer)
    : quantize(type as QuantizableType, data);
  return { name, dims, type, bytes };
}
