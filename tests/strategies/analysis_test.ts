import assert from "node:assert/strict";
import {
  analyzeTable,
  buildTable,
  builtinRegistry,
  makeSpec,
  tenPeriodCriticalDim,
  theoreticalCriticalDim,
} from "../../mod.ts";

Deno.test("critical dimension: LLaMA3-8B 35 and Phi3-mini 31, as in the LongRoPE2 paper", () => {
  const llama3 = makeSpec({ theta: 500000, headDim: 128, originalContext: 8192 });
  const phi3 = makeSpec({ theta: 10000, headDim: 96, originalContext: 2048 });
  assert.equal(theoreticalCriticalDim(llama3), 35);
  assert.equal(theoreticalCriticalDim(phi3), 31);
  assert.equal(tenPeriodCriticalDim(llama3), 24);
  assert.equal(tenPeriodCriticalDim(phi3), 19);
});

Deno.test("analysis: PI keeps every angle in range, default extrapolates the slow pairs", async () => {
  const spec = makeSpec({ theta: 10000, headDim: 8, originalContext: 512, pairing: "interleaved" });
  const reg = builtinRegistry();
  const pi = analyzeTable(spec, await buildTable(reg.get("pi"), spec, { targetLength: 2048 }), 2048);
  assert.ok(pi.pairs.every((p) => !p.outOfDistribution));
  pi.pairs.forEach((p) => assert.ok(Math.abs(p.factor - 4) < 1e-5));
  const plain = analyzeTable(spec, await buildTable(reg.get("default"), spec), 2048);
  // Periods 6.3, 62.8, 628, 6283 tokens: pairs 0 and 1 complete within 512, pairs 2 and 3 do not.
  assert.deepEqual(plain.pairs.map((p) => p.completesWithinL0), [true, true, false, false]);
  assert.deepEqual(plain.pairs.map((p) => p.outOfDistribution), [false, false, true, true]);
  assert.equal(plain.theoreticalCriticalDim, 2);
  assert.ok(Math.abs(plain.pairs[3].angleRatio - 4) < 1e-9);
});
