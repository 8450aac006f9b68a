/**
 * Native kernels (kernels/native, via Deno FFI) against the CPU references on awkward sizes.
 * Skipped, with a message, when the library is not built or --allow-ffi is not granted.
 */
import { causalAttentionRef, matmulRef } from "../../kernels/cpu/mod.ts";
import {
  causalAttentionNative,
  matmulNative,
  nativeKernels,
  nativeStatus,
} from "../../kernels/native/mod.ts";
import { assertClose, random } from "./_util.ts";

const nk = nativeKernels();
if (!nk) console.log(`SKIP native kernel tests: ${nativeStatus()}`);

Deno.test({
  name: "native matmul matches matmulRef (tails in rows, columns and K; bias)",
  ignore: !nk,
  fn: () => {
    for (const [T, K, N] of [[1, 1, 1], [7, 13, 17], [73, 64, 130], [5, 257, 31], [150, 96, 16]]) {
      const x = random(T * K, T + K), w = random(N * K, N), bias = random(N, 7);
      const want = new Float32Array(T * N), got = new Float32Array(T * N);
      matmulRef(want, x, w, T, K, N, bias);
      matmulNative(got, x, w, T, K, N, bias);
      assertClose(`matmul ${T}×${K}×${N}`, got, want, 1e-4);
    }
  },
});

Deno.test({
  name: "native attention matches causalAttentionRef (GQA, head dims 8/5/64, documents, scale)",
  ignore: !nk,
  fn: () => {
    const cases: [number, number, number, number][] = [[1, 1, 1, 8], [9, 4, 2, 5], [301, 8, 4, 8], [
      70,
      2,
      1,
      64,
    ], [600, 3, 3, 16]];
    for (const [T, H, KV, hd] of cases) {
      // Logits up to ~±3 (q, k in [−1, 1)): with ±20 (inputs in [−2, 2)) f32 rounding of the scores alone
      // gives ~5e-7 absolute error, 2e-4 relative on outputs that cancel to near zero.
      const q = random(T * H * hd, T), k = random(T * KV * hd, T + 1);
      const v = random(T * KV * hd, T + 2);
      const want = new Float32Array(T * H * hd), got = new Float32Array(T * H * hd);
      causalAttentionRef(want, q, k, v, T, H, KV, hd);
      causalAttentionNative(got, q, k, v, T, H, KV, hd);
      assertClose(`attention T${T} H${H} KV${KV} hd${hd}`, got, want, 1e-4);
      const docs = {
        docStarts: new Int32Array([0, Math.floor(T / 3), Math.floor(T / 2) + 1]),
        softmaxScale: 0.3,
      };
      causalAttentionRef(want, q, k, v, T, H, KV, hd, docs);
      causalAttentionNative(got, q, k, v, T, H, KV, hd, docs);
      assertClose(`attention docs T${T} H${H} KV${KV} hd${hd}`, got, want, 1e-4);
    }
  },
});

Deno.test({
  name: "native exp is accurate over the softmax range and saturates to 0 / inf",
  ignore: !nk,
  fn: () => {
    const x = Float32Array.from({ length: 4001 }, (_, i) => -100 + i * 0.047);
    const got = new Float32Array(x.length);
    nk!.rk_exp_array(got, x, x.length);
    assertClose("exp", got, x.map((v) => Math.exp(v)), 1e-6);
    const edge = new Float32Array([-Infinity, 100, NaN]);
    nk!.rk_exp_array(got, edge, 3);
    if (got[0] !== 0 || got[1] !== Infinity || !Number.isNaN(got[2])) {
      throw new Error(`edges ${got.slice(0, 3)}`);
    }
  },
});
