/**
 * The native backend: the backend conformance suite, then against the JS (CPU) backend on
 * stories260K: same NLL to 1e-5 relative, same greedy tokens with the KV cache. Ignored, with the
 * reason, when the library or shared/ is absent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { nativeBackend, nativeStatus } from "../../model/native_backend.ts";
import { plainRope, stories260K } from "./_fixtures.ts";
import { backendConformance } from "./_backend_cases.ts";
import { ropeApplyFor } from "../../model/model.ts";
import { validateTable } from "../../strategies/table.ts";

const dir = stories260K();
const native = nativeBackend();
if (!native) console.log(`SKIP native backend tests: ${nativeStatus()}`);

backendConformance("native", native, `native kernels unavailable (${nativeStatus()})`);

/** Max per-token |a − b| / max(|b|, 1 nat): relative, but a near-certain token (NLL ≈ 0) is not divided by ~0. */
function maxRel(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1));
  }
  return worst;
}

Deno.test({
  name: "loadModel picks the native backend when the library loads",
  ignore: dir === null || native === null,
  fn: async () => {
    const m = await loadModel(join(dir!, "stories260K.bin"));
    assert.equal(m.backend.name, "native");
  },
});

Deno.test({
  name: "native backend: stories260K NLL over 700 tokens equals the CPU backend's to 1e-5",
  ignore: dir === null || native === null,
  fn: async () => {
    const m = await loadModel(join(dir!, "stories260K.bin"), { backend: new CpuBackend() });
    const text = await Deno.readTextFile(join(dir!, "../../data/tinystories_valid_head.txt")).catch(() => "");
    const ids = m.tokenizer.encode(text || "Once upon a time there was a cat. ".repeat(90)).slice(0, 700);
    const tokens = Int32Array.from(ids);
    const { apply } = ropeApplyFor(m.spec, validateTable(plainRope(10000, 8), m.spec), tokens.length);
    const want = await m.backend.forwardNll(m.weights, tokens, apply);
    const got = await native!.forwardNll(m.weights, tokens, apply);
    const sum = (a: Float32Array) => a.reduce((s, x) => s + x, 0);
    const perToken = maxRel(got, want), total = Math.abs(sum(got) / sum(want) - 1);
    console.log(
      `native vs cpu NLL: max rel per token ${perToken.toExponential(2)}, sum rel ${total.toExponential(2)}`,
    );
    assert.ok(perToken < 1e-5 && total < 1e-5);
  },
});

Deno.test({
  name: "native backend: greedy decoding with the KV cache gives the CPU backend's tokens and logits",
  ignore: dir === null || native === null,
  fn: async () => {
    const cpu = await loadModel(join(dir!, "stories260K.bin"), { backend: new CpuBackend() });
    const nat = await loadModel(join(dir!, "stories260K.bin"), { backend: native! });
    const prompt = cpu.tokenizer.encode("Once upon a time");
    const table = plainRope(10000, 8);
    assert.deepEqual(await nat.generate(prompt, table, 40), await cpu.generate(prompt, table, 40));
    // Logits after a prompt fed in two chunks (a cache at offset 3), against one CPU step.
    const checked = validateTable(table, cpu.spec);
    const cacheC = cpu.backend.createCache(cpu.weights, 16), cacheN = native!.createCache(nat.weights, 16);
    const all = Int32Array.from(prompt);
    const want = await cpu.backend.forwardStep(
      cpu.weights,
      cacheC,
      all,
      ropeApplyFor(cpu.spec, checked, 5).apply,
    );
    await native!.forwardStep(
      nat.weights,
      cacheN,
      all.subarray(0, 3),
      ropeApplyFor(nat.spec, checked, 3).apply,
    );
    const got = await native!.forwardStep(
      nat.weights,
      cacheN,
      all.subarray(3),
      ropeApplyFor(nat.spec, checked, 5, 3).apply,
    );
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    console.log(`native vs cpu step logits: max abs ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4);
  },
});
