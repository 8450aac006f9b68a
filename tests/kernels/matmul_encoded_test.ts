/**
 * The matmul over encoded (GGUF-quantized) weights: for every supported type, the reference
 * (matmulEncodedRef) and the native and WebAssembly kernel (rk_matmul_q) give exactly — bit for bit —
 * what their f32 matmul gives on the decoded matrix, with and without bias and the fused residual add,
 * for a single row (decoding) and prompt-sized blocks; and the kernels agree with the reference.
 */
import assert from "node:assert/strict";
import { matmulEncodedRef, matmulRef } from "../../kernels/cpu/mod.ts";
import { matmulNative } from "../../kernels/native/mod.ts";
import { nativeKernels } from "../../kernels/native/lib.ts";
import { wasmKernels } from "../../kernels/wasm/lib.ts";
import { BLOCK } from "../../model/dequantize.ts";
import { QuantMatrix, toF32 } from "../../model/quant_matrix.ts";
import { assertClose, random } from "./_util.ts";

/** Byte offsets of each block type's f16 scales: set to finite values so no NaN/inf hides a difference. */
const F16_AT: Record<string, number[]> = {
  F16: [],
  BF16: [],
  Q4_0: [0],
  Q4_1: [0, 2],
  Q5_0: [0],
  Q5_1: [0, 2],
  Q8_0: [0],
  Q4_K: [0, 2],
  Q5_K: [0, 2],
  Q6_K: [208],
};

/** A random [rows][cols] matrix of `type`: random bytes, scales ~0.01 (f16 0x2000..0x23ff). */
function randomMatrix(type: number, rows: number, cols: number, seed: number): QuantMatrix {
  const blk = BLOCK[type];
  const n = (rows * cols / blk.elements) * blk.bytes;
  const bytes = Uint8Array.from(random(n, seed, 0, 256), (v) => Math.floor(v));
  if (blk.name === "F16" || blk.name === "BF16") {
    // keep the exponent finite: clear the top exponent bit of each value
    for (let i = 1; i < n; i += 2) bytes[i] &= blk.name === "F16" ? 0xbb : 0xbf;
  }
  for (let b = 0; b < n / blk.bytes; b++) {
    for (const at of F16_AT[blk.name]) {
      bytes[b * blk.bytes + at + 1] = 0x20 | (bytes[b * blk.bytes + at + 1] & 3);
    }
  }
  return new QuantMatrix(type, rows, cols, bytes);
}

const kernels = [["native", nativeKernels()], ["wasm", wasmKernels()]] as const;
for (const [label, nk] of kernels) if (!nk) console.log(`matmul_encoded_test: ${label} kernels not loaded`);

for (const [type, blk] of Object.entries(BLOCK)) {
  if (blk.name === "F32") continue;
  Deno.test(`matmul over ${blk.name} weights equals the f32 matmul on the decoded matrix, bit for bit`, () => {
    const K = 512, N = 40;
    const w = randomMatrix(Number(type), N, K, Number(type) + 1), dense = toF32(w);
    const bias = random(N, 7);
    for (const T of [1, 7, 80]) {
      const x = random(T * K, T);
      const want = new Float32Array(T * N), got = new Float32Array(T * N);
      matmulRef({ out: want, x, w: dense, bias, T, K, N });
      matmulEncodedRef({ out: got, x, w, bias, T, K, N });
      assert.deepEqual(got, want, `reference ${blk.name} T=${T}`);
      for (const [label, nk] of kernels) {
        if (!nk) continue;
        for (const accumulate of [false, true]) {
          const start = random(T * N, 99);
          const f32 = Float32Array.from(start), enc = Float32Array.from(start);
          matmulNative({ out: f32, x, w: dense, bias, T, K, N }, nk, accumulate);
          matmulNative({ out: enc, x, w, bias, T, K, N }, nk, accumulate);
          assert.deepEqual(enc, f32, `${label} ${blk.name} T=${T} accumulate=${accumulate}`);
          if (!accumulate) assertClose(`${label} vs reference ${blk.name} T=${T}`, enc, want, 2e-3); // sums of 512 terms that cancel: f32 rounding in another order
        }
      }
    }
  });
}

Deno.test("matmul over encoded weights refuses a matrix of the wrong shape", () => {
  const w = randomMatrix(8, 4, 64, 1);
  const args = { out: new Float32Array(4), x: new Float32Array(32), w, T: 1, K: 32, N: 4 };
  assert.throws(() => matmulEncodedRef(args), /\[4\]\[64\]/);
  for (const [, nk] of kernels) if (nk) assert.throws(() => matmulNative(args, nk), /\[4\]\[64\]/);
});
