/** The CPU backend's faster JS attention against the reference. */
import assert from "node:assert/strict";
import { causalAttentionRef } from "../../kernels/cpu/mod.ts";
import { causalAttentionFast, expNonPositive } from "../../kernels/cpu/attention_fast.ts";
import { assertClose, random } from "./_util.ts";

Deno.test("causalAttentionFast matches causalAttentionRef (GQA, documents, scale, odd sizes)", () => {
  for (const [T, H, KV, hd] of [[1, 1, 1, 8], [9, 4, 2, 5], [130, 8, 4, 8], [40, 2, 1, 64]]) {
    const q = random(T * H * hd, T, -2, 2),
      k = random(T * KV * hd, T + 1, -2, 2),
      v = random(T * KV * hd, T + 2);
    for (const opts of [{}, { docStarts: new Int32Array([0, Math.floor(T / 3)]), softmaxScale: 0.5 }]) {
      const want = new Float32Array(T * H * hd), got = new Float32Array(T * H * hd);
      const args = { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd, ...opts };
      causalAttentionRef({ ...args, out: want });
      causalAttentionFast({ ...args, out: got });
      assertClose(
        `fast attention T${T} H${H}/${KV} hd${hd}${"docStarts" in opts ? " docs" : ""}`,
        got,
        want,
        1e-5,
      );
    }
  }
});

Deno.test("expNonPositive: ~1e-8 relative on [−138, 0] (x·log2 e > −200), 0 below, NaN stays NaN", () => {
  let worst = 0;
  for (let x = -138; x <= 0; x += 0.0137) {
    worst = Math.max(worst, Math.abs(expNonPositive(x) / Math.exp(x) - 1));
  }
  assert.ok(worst < 2e-8, `worst ${worst}`);
  assert.equal(expNonPositive(-Infinity), 0);
  assert.equal(expNonPositive(-1000), 0);
  assert.equal(expNonPositive(0), 1);
  assert.ok(Number.isNaN(expNonPositive(NaN)));
});
