import assert from "node:assert/strict";
import { BUILTIN_STRATEGIES, checkConformance, type RopeSpec } from "../../mod.ts";

// LongRoPE needs factor arrays; everything else runs on its declared defaults.
const paramsFor: Record<string, (spec: RopeSpec) => Record<string, number[]>> = {
  longrope: (spec) => ({ long_factor: Array.from({ length: spec.rotaryDim / 2 }, (_, i) => 1 + i / 4) }),
};

for (const strategy of BUILTIN_STRATEGIES) {
  Deno.test(`conformance: ${strategy.name}`, async () => {
    const failures = await checkConformance(strategy, {
      params: paramsFor[strategy.name],
      // Identity at target = L0 holds for all built-ins with ratio-derived parameters.
      identityAtUnitRatio: strategy.name !== "longrope",
    });
    assert.deepEqual(failures, []);
  });
}

Deno.test("conformance: a broken strategy is reported, not thrown", async () => {
  const broken = {
    ...BUILTIN_STRATEGIES[0],
    name: "broken",
    table: () => ({ rotaryDim: 8, invFreq: new Float64Array([1, NaN, 1, 1]), attentionScale: 1 }),
  };
  const failures = await checkConformance(broken, { fast: true });
  assert.ok(failures.length > 0);
  assert.match(failures[0].message, /invFreq\[1\] = NaN|rotaryDim/);
});

Deno.test("conformance: contract violations come first", async () => {
  const failures = await checkConformance({ ...BUILTIN_STRATEGIES[0], apiVersion: 3 as 1 });
  assert.equal(failures[0].check, "contract");
  assert.match(failures[0].message, /apiVersion/);
});
