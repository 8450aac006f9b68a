/**
 * Each architecture ropekit runs, checked against transformers: a tiny random model of the family made
 * in this test by transformers (tests/model/make_hf_models.py: `XForCausalLM(config)`, seeded, with the
 * family's RoPE scaling declared in its config and L0 = 32), scored by `deno task nll --json` with no
 * `--strategy` at 4 × L0 = 128 tokens, on the native and WebAssembly kernels and WebGPU (where an adapter
exists). The scaling and (Gemma 3)
 * the sliding window (Gemma 3, Mistral) change transformers' NLL by far more than the tolerance, so a runner that ignored
 * either would fail. Skipped, with the reason printed, where python3 lacks torch/transformers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { engineMissing } from "../../engines/engines.ts";
import { nativeBackend, wasmBackend } from "../../model/native_backend.ts";
import { loadModel } from "../../model/load_model.ts";
import { resolveEntry } from "../../entries/mod.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";

const root = new URL("../../", import.meta.url).pathname;
const python = Deno.env.get("ROPEKIT_PYTHON") ?? "python3";
const FAMILIES = ["llama", "qwen3", "olmo2", "phi3", "gemma3", "mistral"] as const;
/** What each family's config declares, as ropekit's strategy names (what `nll --json` reports). */
const DECLARED: Record<string, string> = {
  llama: "llama3",
  qwen3: "yarn",
  olmo2: "yarn",
  phi3: "longrope",
  gemma3: "pi",
  mistral: "pi",
};
const REL = 1e-4;

const missing = await engineMissing("transformers", { python });
if (missing) console.log(`hf_families_test skipped: ${missing}`);
// WebGPU where this machine has an adapter (asked without opening a device; the CLI opens its own).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
if (!adapter) console.log("hf_families_test: webgpu rows skipped: no WebGPU adapter");
const backends = [
  ["native", nativeBackend() !== null],
  ["wasm", wasmBackend() !== null],
  ["webgpu", !!adapter],
] as const;

interface Reference {
  nll: number[][];
  prompt: number[];
  greedy: number[];
  plain_nll: number[][];
  unwindowed_nll?: number[][];
}

/** Made once for every test of this file: one python run creates and scores all the models. */
let made: Promise<{ dir: string; reference: Record<string, Reference> }> | undefined;
function models() {
  made ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "ropekit_hf_families_" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const out = await new Deno.Command(python, {
      args: [join(root, "tests/model/make_hf_models.py"), dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) throw new Error(`make_hf_models.py failed: ${new TextDecoder().decode(out.stderr)}`);
    return { dir, reference: JSON.parse(await Deno.readTextFile(join(dir, "reference.json"))) };
  })();
  return made;
}

async function nllCommand(model: string, tokens: string, ...extra: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "nll", "--model", model, "--tokens", tokens, "--json", ...extra],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Largest |a − b| / |b| over every token of every window. */
function maxRelative(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((w, i) =>
    w.forEach((x, t) => worst = Math.max(worst, Math.abs(x - b[i][t]) / Math.abs(b[i][t])))
  );
  return worst;
}

for (const family of FAMILIES) {
  for (const [backend, available] of backends) {
    Deno.test({
      name:
        `hf families: ${family} with its configured RoPE, nll without --strategy = transformers at 4×L0 (${backend})`,
      ignore: missing !== null || !available,
      async fn() {
        const { dir, reference } = await models();
        const ref = reference[family];
        // The check has teeth: the declared scaling (and Gemma 3's window) moves transformers' NLL by ≫ REL.
        assert.ok(maxRelative(ref.plain_nll, ref.nll) > 100 * REL, "the scaling does not matter here");
        if (ref.unwindowed_nll) {
          assert.ok(maxRelative(ref.unwindowed_nll, ref.nll) > 100 * REL, "the window does not matter here");
        }
        const r = await nllCommand(join(dir, family), join(dir, "tokens.json"), "--backend", backend);
        assert.ok(r.backend.startsWith(backend), r.backend);
        assert.equal(r.strategy, "config");
        assert.equal(r.config_rope.strategy, DECLARED[family]);
        assert.equal(r.windows[0].tokens, 127);
        const ours = r.windows.map((w: { nll: number[] }) => w.nll);
        const rel = maxRelative(ours, ref.nll);
        console.log(
          `${family} (${r.backend}): max relative difference to transformers ${rel.toExponential(2)}`,
        );
        assert.ok(rel <= REL, `${family} (${backend}): max relative difference ${rel} > ${REL}`);
      },
    });
  }
}

Deno.test({
  name:
    "hf families: --strategy default on a model that declares a scaling is plain RoPE (differs from config)",
  ignore: missing !== null || !backends[0][1],
  async fn() {
    const { dir, reference } = await models();
    const r = await nllCommand(join(dir, "qwen3"), join(dir, "tokens.json"), "--strategy", "default");
    assert.equal(r.strategy, "default");
    const ours = r.windows.map((w: { nll: number[] }) => w.nll);
    assert.ok(maxRelative(ours, reference.qwen3.plain_nll) <= REL);
  },
});

Deno.test({
  name:
    "hf families: greedy generation with the KV cache (local RoPE, window) = transformers' uncached argmax",
  ignore: missing !== null || !backends[0][1],
  async fn() {
    const { dir, reference } = await models();
    const registry = builtinRegistry();
    for (const family of FAMILIES) {
      const ref = reference[family];
      const model = await loadModel(join(dir, family), { backend: nativeBackend()! });
      const entry = await resolveEntry("config", { registry, configRope: model.configRope });
      const seqLen = ref.prompt.length + 20;
      const ctx = { targetLength: entry.targetLength, seqLen };
      const table = await buildTable(entry.strategy, model.spec, ctx, entry.params);
      assert.deepEqual(await model.generate(ref.prompt, table, 20), ref.greedy, family);
    }
  },
});

Deno.test("hf families: an unsupported model_type or family setting is refused in one line naming it", async () => {
  const dir = await Deno.makeTempDir();
  const refused = async (config: Record<string, unknown>) => {
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
    const e = await loadModel(dir).then(() => null, (e: Error) => e);
    assert.ok(e, "loaded");
    assert.ok(!e.message.includes("\n"), e.message);
    return e.message;
  };
  try {
    assert.match(
      await refused({ model_type: "falcon" }),
      /model_type "falcon" is not supported \(supported: llama, .*gemma3_text\)/,
    );
    assert.match(await refused({ model_type: "gemma3" }), /its text model "gemma3_text" is supported/);
    assert.match(
      await refused({ model_type: "gemma3_text", final_logit_softcapping: 30 }),
      /gemma3_text with "final_logit_softcapping": 30 is not supported/,
    );
    assert.match(
      await refused({ model_type: "llama", hidden_act: "gelu" }),
      /llama with "hidden_act": "gelu"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const ggufMissing = missing ?? await new Deno.Command(python, { args: ["-c", "import gguf"], stderr: "null" })
  .output().then(
    (o) => o.code === 0 ? null : `${python} lacks the gguf package`,
    (e) => (e as Error).message,
  );
if (ggufMissing && !missing) console.log(`hf_families_test: GGUF rows skipped: ${ggufMissing}`);

for (const family of ["qwen3", "olmo2"] as const) {
  Deno.test({
    name:
      `hf families: ${family} as a GGUF (gguf's tensor names, rope.scaling yarn), nll without --strategy = transformers`,
    ignore: missing !== null || !backends[0][1],
    async fn() {
      const { dir, reference } = await models();
      const r = await nllCommand(
        join(dir, `${family}.gguf`),
        join(dir, "tokens.json"),
        "--backend",
        "native",
      );
      assert.equal(r.strategy, "config");
      assert.equal(r.config_rope.strategy, "yarn");
      const rel = maxRelative(r.windows.map((w: { nll: number[] }) => w.nll), reference[family].nll);
      console.log(`${family}.gguf (native): max relative difference to transformers ${rel.toExponential(2)}`);
      assert.ok(rel <= REL, `${family}.gguf: max relative difference ${rel} > ${REL}`);
    },
  });
}
