import assert from "node:assert/strict";
import { logitsNllRef, logitsRef } from "../../kernels/cpu/mod.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";
import { runLogitsNll } from "./_gpu_run.ts";
import { vocabChunk } from "../../kernels/gpu/logits.ts";

Deno.test("logitsNllRef: equal logits give log V", () => {
  const nll = logitsNllRef({
    hidden: new Float32Array(2 * 3),
    wcls: random(5 * 3, 1),
    targets: [0, 4],
    T: 2,
    D: 3,
    V: 5,
  });
  assertClose("uniform", nll, [Math.log(5), Math.log(5)], 1e-6);
});

Deno.test("logitsNllRef matches log-softmax of full logits on awkward sizes", () => {
  const T = 7, D = 6, V = 29;
  const hidden = random(T * D, 7, -3, 3), wcls = random(V * D, 8);
  const targets = Int32Array.from({ length: T }, (_, t) => (t * 11) % V);
  const logits = new Float32Array(T * V);
  logitsRef({ out: logits, hidden, wcls, T, D, V });
  const want = [...targets].map((y, t) => {
    const row = [...logits.subarray(t * V, t * V + V)];
    const m = Math.max(...row);
    return m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) - row[y];
  });
  assertClose("nll", logitsNllRef({ hidden, wcls, targets, T, D, V }), want, 1e-5);
  assert.throws(() => logitsNllRef({ hidden, wcls, targets: [V], T: 1, D, V }), /target/);
});

Deno.test({
  name: "GPU logits NLL matches logitsNllRef across several vocabulary chunks",
  ...gpuTest,
  fn: () =>
    withGpu("GPU logits NLL", async (ctx) => {
      // V = 150 with 64-row chunks: three chunks, the last one short; targets land in each.
      const T = 5, D = 12, V = 150;
      assert.equal(vocabChunk(40000, 4096, 151936), 384, "chunks stay bounded for a 150K vocab at T=40K");
      const hidden = random(T * D, 41, -2, 2), wcls = random(V * D, 42);
      const targets = new Int32Array([0, 63, 64, 149, 100]);
      const args = { hidden, wcls, targets, T, D, V };
      assertClose("GPU nll", await runLogitsNll(ctx, args), logitsNllRef(args), 1e-4);
    }),
});
