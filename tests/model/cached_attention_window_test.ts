/** The KV-cache path of generation (`attendToCache`) with a sliding window equals the reference's rows at their positions. */
import { causalAttentionRef } from "../../kernels/cpu/mod.ts";
import { attendToCache } from "../../model/cached_attention.ts";
import { assertClose, random } from "../kernels/_util.ts";

Deno.test("cached attention: window and softmax scale as the reference, rows 20.. of 37 over the cache", () => {
  const T = 37, H = 4, KV = 2, hd = 8, start = 20, rows = T - start;
  const q = random(T * H * hd, 31, -2, 2), k = random(T * KV * hd, 32, -2, 2), v = random(T * KV * hd, 33);
  for (const [window, softmaxScale] of [[1, undefined], [5, undefined], [16, 0.3], [0, undefined]]) {
    const want = new Float32Array(T * H * hd);
    causalAttentionRef({ out: want, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd, window, softmaxScale });
    const got = new Float32Array(rows * H * hd);
    attendToCache(got, q.subarray(start * H * hd), k, v, start, rows, H, KV, hd, window, softmaxScale);
    assertClose(`cached window ${window}`, got, want.subarray(start * H * hd), 1e-5);
  }
});
