/**
 * The native library's symbols and their FFI types: one table for `Deno.dlopen` (lib.ts) and for the
 * WebAssembly build of the same C source (kernels/wasm/lib.ts), which exposes the same functions.
 *
 * @module
 */

/** Bumped with `rk_abi_version` in ropekit.c whenever a signature changes. */
export const ABI_VERSION = 6;

/** Each exported function of ropekit.c and its FFI parameter and result types. */
export const SYMBOLS = {
  rk_abi_version: { parameters: [], result: "i32" },
  rk_threads: { parameters: [], result: "i32" },
  rk_exp_array: { parameters: ["buffer", "buffer", "i32"], result: "void" },
  rk_fma_flops: { parameters: ["i32"], result: "f64" },
  rk_packed_floats: { parameters: ["i32", "i32"], result: "i64" },
  rk_pack_weights: { parameters: ["buffer", "buffer", "i32", "i32"], result: "void" },
  rk_matmul: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32", "i32", "i32", "i32"],
    result: "void",
  },
  rk_rmsnorm: { parameters: ["buffer", "buffer", "buffer", "i32", "i32", "f32"], result: "void" },
  rk_swiglu: { parameters: ["buffer", "buffer", "buffer", "i64"], result: "void" },
  rk_rope: { parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  rk_nll_from_logits: { parameters: ["buffer", "buffer", "buffer", "i32", "i32"], result: "void" },
  rk_store_values: { parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  rk_key_cache_floats: { parameters: ["i32", "i32", "i32"], result: "i64" },
  rk_store_keys: { parameters: ["buffer", "buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  rk_attention: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
    ],
    result: "void",
  },
  rk_pack_strided: { parameters: ["buffer", "buffer", "i32", "i32", "i64", "i64"], result: "void" },
  rk_transpose: { parameters: ["buffer", "buffer", "i32", "i32"], result: "void" },
  rk_attention_backward: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
    ],
    result: "void",
  },
  rk_swiglu_backward: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "i64"],
    result: "void",
  },
  rk_softmax_nll_grad: { parameters: ["buffer", "buffer", "buffer", "i32", "i32", "f32"], result: "void" },
  // Encoded (GGUF-quantized) weights: kernels/native/quant.c.
  rk_dequantize: { parameters: ["buffer", "buffer", "i32", "i64"], result: "void" },
  rk_matmul_q: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "i32", "i32", "i32", "i32", "i32"],
    result: "void",
  },
} as const;
