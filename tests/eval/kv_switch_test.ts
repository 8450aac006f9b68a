/**
 * The KV-cache switch measurement on the default model: re-prefilling equals one full pass (so the
 * harness decodes correctly), keeping the cache across the switch is measurably worse after L0, and
 * starting with the long set changes only the tokens within L0.
 */
import assert from "node:assert/strict";
import { loadModel } from "../../model/load_model.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { KvSwitchError, measureSwitch, rerotateKeys } from "../../eval/kv_switch.ts";
import type { RopeApply } from "../../kernels/rope_apply.ts";
import { DEFAULT_MODEL, evalTextBeside } from "../../compare/defaults.ts";

const model = await loadModel(DEFAULT_MODEL);
const ids = model.tokenizer.encode(await Deno.readTextFile((await evalTextBeside(DEFAULT_MODEL))!), {
  bos: false,
});

Deno.test("switch: LongRoPE2 on the default model — keep, re-prefill, long from the start", async () => {
  const table = await buildTable(builtinRegistry().get("longrope2"), model.spec, { targetLength: 2048 });
  const r = await measureSwitch(model, table, ids, { documents: 2, length: 384, prompt: 200 });
  assert.equal(r.switchLength, 256);
  assert.equal(r.tokensBefore, 57);
  assert.equal(r.tokensAfter, 384 - 200 - 57);
  const p = Object.fromEntries(r.policies.map((x) => [x.policy, x]));
  assert.ok(Math.abs(p.reprefill.nllAfter - r.fullPassAfter) < 1e-4, "re-prefill = one full pass");
  assert.ok(Math.abs(p["long-from-start"].nllAfter - r.fullPassAfter) < 1e-4, "long cache = one full pass");
  assert.equal(p.keep.nllBefore, p.reprefill.nllBefore, "identical until the crossing");
  assert.equal(p.reprefill.recomputedTokens, 256);
  assert.equal(p.keep.recomputedTokens, 0);
  assert.ok(p.keep.nllAfter > p.reprefill.nllAfter + 0.05, JSON.stringify(r));
  assert.notEqual(p["long-from-start"].nllBefore, p.keep.nllBefore);
  // Re-rotating the cached keys in place recovers most of what keeping them loses, with no matmul.
  assert.equal(p.rerotate.rotatedKeys, 256 * model.config.nLayers * model.config.nKvHeads);
  assert.equal(p.rerotate.recomputedTokens, 0);
  assert.ok(Math.abs(p.rerotate.nllBefore - p.keep.nllBefore) < 1e-5, "CPU backend = default backend before");
  assert.ok(p.rerotate.nllAfter < p.keep.nllAfter - 0.05, JSON.stringify(p.rerotate));
  assert.ok(Math.abs(p.rerotate.nllAfter - p.reprefill.nllAfter) < 0.05, JSON.stringify(p.rerotate));
});

Deno.test("rerotateKeys: short → long → short gives the keys back (both pairings, with scales)", () => {
  const kv = 2, hd = 8, n = 5;
  for (const pairing of ["interleaved", "half"] as const) {
    const a: RopeApply = { rotaryDim: 8, invFreq: Float64Array.of(1, 0.1, 0.01, 0.001), scale: 1, pairing };
    const b: RopeApply = { ...a, invFreq: Float64Array.of(1, 0.05, 0.002, 0.0001), scale: 1.2 };
    const keys = [Float32Array.from({ length: n * kv * hd }, (_, i) => Math.sin(i + 1))];
    const start = keys[0].slice();
    assert.equal(rerotateKeys(keys, n, kv, hd, a, b), n * kv);
    assert.ok(keys[0].some((v, i) => Math.abs(v - start[i]) > 1e-3), "moved");
    rerotateKeys(keys, n, kv, hd, b, a);
    assert.ok(keys[0].every((v, i) => Math.abs(v - start[i]) < 1e-5), pairing);
  }
});

Deno.test("switch: a strategy without short and long sets is refused", async () => {
  const table = await buildTable(builtinRegistry().get("yarn"), model.spec, { targetLength: 2048 });
  await assert.rejects(measureSwitch(model, table, ids), (e) => {
    // The user's choice of strategy, not a bug: a RopekitError naming the field.
    assert.ok(e instanceof KvSwitchError, String(e));
    assert.equal(e.field, "strategy");
    assert.match(e.message, /no short and long sets/);
    return true;
  });
});
