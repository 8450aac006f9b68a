/**
 * The llama-family runner: loaders for llama2.c `.bin`, GGUF, Hugging Face folders and `hf:` downloads,
 * tokenizers, and the backends (native C, WebAssembly, WebGPU, TypeScript) one block runs on.
 *
 * @example Score a token sequence under YaRN
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModel } from "./mod.ts";
 * import { buildTable, builtinRegistry } from "../mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const ids = model.tokenizer.encode("Once upon a time there was a cat.", { bos: true });
 * const table = await buildTable(builtinRegistry().get("yarn"), model.spec, { targetLength: 1024 });
 * const { nll } = await model.nll([ids], table);
 * assert.equal(nll[0].length, ids.length - 1); // one NLL per predicted token
 * ```
 *
 * @module
 */
export { loadModel, type LoadOptions } from "./load_model.ts";
export { Model, type NllResult, type OwnRope } from "./model.ts";
export type { Backend, KvCache } from "./backend.ts";
export { BACKENDS, selectBackend } from "./select_backend.ts";
export {
  type LayerWeights,
  type LlamaConfig,
  type LlamaWeights,
  ModelFormatError,
  type ModelWeights,
  type WeightMatrix,
} from "./config.ts";
export type { BlockShape, NormPlacement } from "./architecture.ts";
export type { EncodedMatrix } from "../kernels/cpu/matmul_encoded.ts";
export type { Tokenizer } from "./tokenizer.ts";
export type { RopeApply } from "../kernels/rope_apply.ts";
