import assert from "node:assert/strict";
import { AdamW, globalNorm, learningRate } from "../../train/optimizer.ts";

Deno.test("schedule: linear warm-up, cosine to minLr, then flat", () => {
  const s = { peakLr: 1e-3, warmupSteps: 4, totalSteps: 14, minLr: 1e-4 };
  assert.equal(learningRate(s, 0), 2.5e-4);
  assert.equal(learningRate(s, 3), 1e-3);
  assert.equal(learningRate(s, 4), 1e-3);
  assert.ok(Math.abs(learningRate(s, 9) - 5.5e-4) < 1e-12, "half way down the cosine");
  assert.ok(Math.abs(learningRate(s, 14) - 1e-4) < 1e-12);
  assert.ok(Math.abs(learningRate(s, 100) - 1e-4) < 1e-12);
});

Deno.test("AdamW: first step moves each weight by lr·sign(g) minus decoupled decay", () => {
  const p = new Float32Array([1, -2, 0.5]), norm = new Float32Array([1]);
  const opt = new AdamW([p, norm], [true, false], { weightDecay: 0.1, clipNorm: Infinity, eps: 0 });
  opt.update([new Float32Array([0.3, -4, 1e-3]), new Float32Array([2])], 0.01);
  // With bias correction, step 1 gives m̂/√v̂ = sign(g).
  assert.deepEqual(Array.from(p), [1 * 0.999 - 0.01, -2 * 0.999 + 0.01, 0.5 * 0.999 - 0.01].map(Math.fround));
  assert.deepEqual(Array.from(norm), [Math.fround(1 - 0.01)], "no decay on 1-D tensors");
});

Deno.test("AdamW clips by the global norm across tensors", () => {
  const grads = [new Float32Array([3]), new Float32Array([4])];
  assert.equal(globalNorm(grads), 5);
  const a = new Float32Array([0]), b = new Float32Array([0]);
  const opt = new AdamW([a, b], [false, false], { clipNorm: 1, beta2: 0.5, eps: 0 });
  assert.equal(opt.update(grads, 1), 5, "returns the norm before clipping");
  // m = 0.1·g·(1/5), v = 0.5·(g/5)²: clipping scales both, so the step is still −sign(g).
  assert.ok(Math.abs(a[0] + 1) < 1e-6, `${a[0]}`); // m and v are stored in f32
  assert.deepEqual(Array.from(opt.m[0]), [Math.fround(0.1 * 3 / 5)]);
});
