/**
 * The `config` strategy entry: a model's declared scaling (HF v4 `rope_scaling`, v5 `rope_parameters`,
 * nested per layer type; GGUF `rope.scaling.*`) as the matching built-in; the default of `nll` for such
 * a model; its own row and the default reference of `compare`; shown by the doctor; accepted by the
 * server. The end-to-end tests use facts837K exported by ropekit with YaRN (an HF folder whose
 * config.json declares it), scored through the CLI and a real server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { configuredRopeFromGguf, configuredRopeFromHf } from "../../strategies/config_rope.ts";
import { resolveEntry } from "../../entries/mod.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { ropeDoctor } from "../../strategies/doctor.ts";
import { doctorText } from "../../cli/rope_doctor.ts";
import { exportModel } from "../../export/export_model.ts";
import { loadModel } from "../../model/load_model.ts";
import { DEFAULT_MODEL } from "../../compare/defaults.ts";
import { listen, readEvents, testContext } from "../server/_server.ts";

const root = new URL("../../", import.meta.url).pathname;
const LLAMA = { model_type: "llama", hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 8192 };

Deno.test("config entry: HF v4 rope_scaling, v5 rope_parameters and a per-layer-type block read as built-ins", () => {
  const v4 = configuredRopeFromHf({
    ...LLAMA,
    rope_theta: 500000,
    rope_scaling: {
      rope_type: "llama3",
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 1024,
    },
  });
  assert.deepEqual(v4, {
    strategy: "llama3",
    params: { factor: 8, low_freq_factor: 1, high_freq_factor: 4 },
    targetLength: 8192,
    source: "config.json",
  });
  const v5 = configuredRopeFromHf({
    ...LLAMA,
    rope_parameters: {
      rope_type: "yarn",
      factor: 4,
      rope_theta: 10000,
      original_max_position_embeddings: 2048,
    },
  });
  assert.equal(v5?.strategy, "yarn");
  assert.equal(v5?.params.factor, 4);
  // Gemma 3 (transformers 5): the full-attention layers' block is the model's scaling.
  const nested = configuredRopeFromHf({
    ...LLAMA,
    model_type: "gemma3_text",
    layer_types: ["sliding_attention", "full_attention"],
    rope_parameters: {
      sliding_attention: { rope_type: "default", rope_theta: 10000 },
      full_attention: { rope_type: "linear", factor: 8, rope_theta: 1000000 },
    },
  });
  assert.deepEqual([nested?.strategy, nested?.params], ["pi", { factor: 8 }]);
  assert.equal(configuredRopeFromHf({ ...LLAMA, rope_theta: 10000 }), undefined);
  assert.equal(configuredRopeFromHf({ ...LLAMA, rope_scaling: {} }), undefined);
});

Deno.test("config entry: GGUF rope.scaling keys (linear, yarn, none) and a refusal naming the key", () => {
  const md = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [`qwen2.rope.scaling.${k}`, v]));
  assert.deepEqual(
    configuredRopeFromGguf(md({ type: "linear", factor: 4 }), "qwen2", 4096, "m.gguf")?.params,
    {
      factor: 4,
    },
  );
  const yarn = configuredRopeFromGguf(
    md({ type: "yarn", factor: 4, yarn_beta_fast: 32, yarn_beta_slow: 1, original_context_length: 32768 }),
    "qwen2",
    131072,
    "m.gguf",
  );
  assert.equal(yarn?.strategy, "yarn");
  assert.deepEqual(yarn?.params, { factor: 4, beta_fast: 32, beta_slow: 1 });
  assert.equal(yarn?.targetLength, 131072);
  assert.equal(configuredRopeFromGguf(md({ type: "none" }), "qwen2", 4096, "m.gguf"), undefined);
  assert.equal(configuredRopeFromGguf({}, "qwen2", 4096, "m.gguf"), undefined);
  assert.throws(
    () => configuredRopeFromGguf(md({ type: "yarn", factor: 4, attn_factor: 0.8 }), "qwen2", 4096, "m.gguf"),
    /qwen2\.rope\.scaling\.attn_factor = 0\.8/,
  );
  assert.throws(() => configuredRopeFromGguf(md({ type: "longrope" }), "qwen2", 4096, "m.gguf"), /longrope/);
});

Deno.test("config entry: resolves to the model's strategy with its parameters, inline overrides win", async () => {
  const registry = builtinRegistry();
  const own = { strategy: "yarn", params: { factor: 4 }, targetLength: 8192, source: "config.json" };
  const e = await resolveEntry("config", { registry, configRope: own });
  assert.equal(e.label, "config");
  assert.equal(e.strategy.name, "yarn");
  assert.equal(e.params.factor, 4);
  assert.equal(e.targetLength, 8192);
  assert.equal((await resolveEntry("config:factor=8", { registry, configRope: own })).params.factor, 8);
  // A model that declares no scaling: its own RoPE is the original one.
  assert.equal((await resolveEntry("config", { registry })).strategy.name, "default");
});

Deno.test("config entry: the doctor shows what ropekit's config entry runs", async () => {
  const config = {
    ...LLAMA,
    rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 2048 },
  };
  const report = await ropeDoctor(config);
  assert.equal(report.configEntry?.strategy, "yarn");
  assert.match(doctorText(report), /ropekit's "config" entry .*: yarn \{"factor":4/);
  assert.equal((await ropeDoctor({ ...LLAMA })).configEntry, undefined);
});

/** facts837K exported with YaRN ×4 as an HF folder: a model whose config.json declares a scaling. */
let exported: Promise<string> | undefined;
function yarnModel(): Promise<string> {
  exported ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "ropekit_config_entry_" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    await exportModel({
      model: DEFAULT_MODEL,
      strategy: "yarn:factor=4",
      targetLength: 1024,
      to: "hf",
      out: dir,
    });
    return dir;
  })();
  return exported;
}

async function cli(task: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), { args: ["task", task, ...args], cwd: root }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("config entry: nll without --strategy runs the declared YaRN (= --strategy yarn:factor=4 --target 1024)", async () => {
  const dir = await yarnModel();
  const model = await loadModel(dir);
  assert.equal(model.configRope?.strategy, "yarn");
  const tokens = join(dir, "w.json");
  const ids = model.tokenizer.encode(
    (await Deno.readTextFile(join(root, "models/facts837K/eval.txt"))).slice(0, 6000),
  );
  await Deno.writeTextFile(tokens, JSON.stringify([ids.slice(0, 600)]));
  const own = await cli("nll", "--model", dir, "--tokens", tokens, "--json");
  const yarn = await cli(
    "nll",
    "--model",
    dir,
    "--tokens",
    tokens,
    "--json",
    "--strategy",
    "yarn:factor=4",
    "--target",
    "1024",
  );
  const plain = await cli("nll", "--model", dir, "--tokens", tokens, "--json", "--strategy", "default");
  assert.equal(own.strategy, "config");
  assert.deepEqual(own.windows[0].rope, yarn.windows[0].rope);
  assert.deepEqual(own.windows[0].nll, yarn.windows[0].nll);
  assert.notEqual(own.windows[0].nll_sum, plain.windows[0].nll_sum);
});

Deno.test("config entry: compare --strategies config,yarn,longrope2 lists it as a row and compares against it", async () => {
  const dir = await yarnModel();
  const report = await cli(
    "compare",
    "--model",
    dir,
    "--text",
    join(root, "models/facts837K/eval.txt"),
    "--strategies",
    "config,yarn,longrope2",
    "--metrics",
    "ppl",
    "--lengths",
    "512",
    "--samples",
    "1",
    "--json",
  );
  assert.deepEqual(report.strategies.map((s: { label: string }) => s.label), ["config", "yarn", "longrope2"]);
  assert.equal(report.statistics.reference, "config");
  for (const c of report.comparisons) assert.equal(c.b, "config");
});

Deno.test({
  name: "config entry: the server's POST /api/compare accepts config and makes it the reference",
  async fn() {
    const dir = await yarnModel();
    const ctx = await testContext({ models: [dir] });
    const server = listen(ctx);
    try {
      const models = await (await fetch(`${server.base}/api/models`)).json();
      const res = await fetch(`${server.base}/api/compare`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: models[0].id,
          strategies: ["config", "default"],
          lengths: [300],
          samples: 1,
          metrics: ["ppl"],
        }),
      });
      assert.equal(res.status, 202, await res.clone().text());
      const { id } = await res.json();
      const events = await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`));
      assert.equal(JSON.parse(events.at(-2)!.data).status, "done", events.at(-2)!.data);
      const report = JSON.parse(events.at(-1)!.data);
      assert.deepEqual(report.strategies.map((s: { label: string }) => s.label), ["config", "default"]);
      assert.equal(report.statistics.reference, "config");
      const bad = await fetch(`${server.base}/api/compare`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: models[0].id, strategies: ["config:factor=2"], lengths: [300] }),
      });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
    } finally {
      await server.close();
    }
  },
});

Deno.test("config entry: a GGUF's factor tensors (llama3 exported to rope_freqs) run as the declared scaling", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "llama3.gguf");
    await exportModel({
      model: DEFAULT_MODEL,
      strategy: "llama3:factor=4",
      targetLength: 1024,
      to: "gguf",
      out,
    });
    const model = await loadModel(out);
    const own = model.configRope!;
    assert.equal(own.strategy, "longrope");
    assert.deepEqual(own.params.long_factor, own.params.short_factor);
    assert.equal(own.params.attention_factor, 1);
    // The same frequencies as the llama3 table the file was exported from (float32 factors: ≤ 1 ulp).
    const registry = builtinRegistry();
    const entry = await resolveEntry("config", { registry, configRope: own });
    const ctx = { targetLength: 1024, seqLen: 1024 };
    const fromFile = await buildTable(entry.strategy, model.spec, ctx, entry.params);
    const llama3 = await buildTable(registry.get("llama3"), model.spec, ctx, { factor: 4 });
    fromFile.invFreq.forEach((f, i) => assert.ok(Math.abs(f / llama3.invFreq[i] - 1) < 1e-6, `pair ${i}`));
    assert.equal(fromFile.attentionScale, llama3.attentionScale);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config entry: export without a strategy re-exports the declared scaling; none declared is refused", async () => {
  const dir = await yarnModel();
  const out = await Deno.makeTempDir();
  try {
    const r = await exportModel({ model: dir, to: "hf", out: join(out, "again") });
    assert.equal(r.strategy, "yarn");
    assert.equal(r.params.factor, 4);
    const again = JSON.parse(await Deno.readTextFile(join(out, "again", "config.json")));
    const first = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    assert.deepEqual(again.rope_parameters, first.rope_parameters);
    await assert.rejects(
      exportModel({ model: DEFAULT_MODEL, to: "hf", out: join(out, "none") }),
      /a strategy is required: the model's files declare no RoPE scaling/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
