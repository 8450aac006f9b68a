/**
 * The backend conformance suite (Hono's `common.case.test.ts` style): one set of cases that every
 * {@linkcode Backend} runs from its own test file, against the plain f64 forward pass of
 * `_reference_forward.ts`. A backend that is unavailable here (no native library, no WebGPU adapter)
 * gets every case as an explicit ignore whose name says why.
 */
import assert from "node:assert/strict";
import type { RopeApply } from "../../kernels/rope_apply.ts";
import type { Backend } from "../../model/backend.ts";
import type { LlamaWeights } from "../../model/config.ts";
import { plainRope, randomWeights, smallConfig } from "./_fixtures.ts";
import { referenceNll } from "./_reference_forward.ts";

/** Max per-token |a − b| / max(|b|, 1 nat): relative, without dividing by a near-zero NLL. */
export function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "length");
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1));
  }
  return worst;
}

/** NLL of `target` under `logits` (f64 log-sum-exp). */
function nllOf(logits: Float32Array, target: number): number {
  let m = -Infinity;
  for (const z of logits) m = Math.max(m, z);
  let s = 0;
  for (const z of logits) s += Math.exp(z - m);
  return m + Math.log(s) - logits[target];
}

interface Case {
  what: string;
  weights: LlamaWeights;
  rope: RopeApply;
}

/** A GQA model with biases; RoPE interleaved over every channel, or rotate-half over half with a scale. */
function cases(): Case[] {
  const config = smallConfig();
  const full = plainRope(10000, config.headDim);
  const partial = plainRope(10000, config.headDim / 2, 1.1);
  return [
    {
      what: "GQA, interleaved pairing",
      weights: randomWeights(config, 11),
      rope: { rotaryDim: config.headDim, invFreq: full.invFreq, scale: 1, pairing: "interleaved" },
    },
    {
      what: "GQA, biases, half pairing, partial rotary, attention scale 1.1",
      weights: randomWeights(config, 12, true),
      rope: { rotaryDim: config.headDim / 2, invFreq: partial.invFreq, scale: 1.1, pairing: "half" },
    },
  ];
}

const TOKENS = Int32Array.from({ length: 41 }, (_, i) => (i * 17 + 5) % smallConfig().vocabSize);

/**
 * Registers the conformance cases for `backend` under `label`; when it is null every case is an
 * ignore naming `whyNot`. `tol` bounds the relative NLL error against the f64 reference.
 */
export function backendConformance(label: string, backend: Backend | null, whyNot: string, tol = 1e-4): void {
  const test = (name: string, fn: (b: Backend) => Promise<void>) =>
    Deno.test({
      name: `${label} backend: ${name}${backend ? "" : ` [ignored: ${whyNot}]`}`,
      ignore: backend === null,
      // WebGPU keeps device resources and a polling op alive between tests.
      sanitizeResources: false,
      sanitizeOps: false,
      fn: () => fn(backend!),
    });

  for (const { what, weights, rope } of cases()) {
    test(`forwardNll equals the f64 reference forward (${what})`, async (b) => {
      const want = referenceNll(weights, [...TOKENS], rope.invFreq, rope.pairing, rope.rotaryDim, rope.scale);
      const got = await b.forwardNll(weights, TOKENS, rope);
      const err = maxRel(got, want);
      console.log(`${b.name} vs f64 reference: max rel ${err.toExponential(2)} over ${got.length} tokens`);
      assert.ok(err < tol, `max rel ${err} ≥ ${tol}`);
    });

    test(`forwardStep in chunks through the KV cache predicts as forwardNll does (${what})`, async (b) => {
      const full = await b.forwardNll(weights, TOKENS, rope);
      const cache = b.createCache(weights, TOKENS.length);
      // Chunks of 1, 6 and 9 tokens: a step at offset 0, a multi-row step at an offset, then single rows.
      const cuts = [0, 1, 7, 16, 17, 18];
      for (let i = 1; i < cuts.length; i++) {
        const chunk = TOKENS.subarray(cuts[i - 1], cuts[i]);
        const logits = await b.forwardStep(weights, cache, chunk, { ...rope, positionOffset: cuts[i - 1] });
        assert.equal(logits.length, weights.config.vocabSize);
        assert.equal(cache.length, cuts[i]);
        const t = cuts[i] - 1; // the last row of the chunk predicts token t + 1
        const err = Math.abs(nllOf(logits, TOKENS[t + 1]) - full[t]) / Math.max(Math.abs(full[t]), 1);
        assert.ok(err < tol, `step ending at ${t}: rel ${err} ≥ ${tol}`);
      }
    });
  }

  test("forwardNll of one token is empty; the same pass twice is identical", async (b) => {
    const { weights, rope } = cases()[0];
    assert.equal((await b.forwardNll(weights, TOKENS.subarray(0, 1), rope)).length, 0);
    assert.deepEqual(await b.forwardNll(weights, TOKENS, rope), await b.forwardNll(weights, TOKENS, rope));
  });

  test("forwardStep rejects a full cache and a RoPE offset that is not the cache length", async (b) => {
    const { weights, rope } = cases()[0];
    const cache = b.createCache(weights, 4);
    assert.equal(cache.capacity, 4);
    assert.throws(
      () => b.forwardStep(weights, cache, TOKENS.subarray(0, 5), rope),
      /holds 4 positions, 5 needed/,
    );
    await b.forwardStep(weights, cache, TOKENS.subarray(0, 2), rope);
    await assert.rejects(
      async () => await b.forwardStep(weights, cache, TOKENS.subarray(2, 3), { ...rope, positionOffset: 0 }),
      /positionOffset 0 must equal the cache length 2/,
    );
  });
}
