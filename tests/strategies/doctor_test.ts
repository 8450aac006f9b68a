/**
 * The RoPE doctor: each pitfall is flagged on a config built to trigger it (and not on one that does
 * not), its transformers column equals the transformers fixture, and it is reachable from
 * `deno task rope --doctor` (subprocess) and `POST /api/rope` with `"doctor": true`.
 */
import assert from "node:assert/strict";
import { ropeDoctor } from "../../strategies/doctor.ts";
import { createApp } from "../../server/app.ts";
import { HeldRunner, testContext } from "../server/_server.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/hf_rope_cases.json", import.meta.url)),
);
const byId = (id: string) => fixture.cases.find((c: { id: string }) => c.id === id);

const LLAMA = {
  model_type: "llama",
  hidden_size: 1024,
  num_attention_heads: 16,
  max_position_embeddings: 32768,
};
const ids = async (config: Record<string, unknown>) => (await ropeDoctor(config)).pitfalls.map((p) => p.id);

Deno.test("doctor: each pitfall is flagged on a config built to trigger it", async () => {
  const longrope = byId("real-phi4-mini-none").config;
  assert.ok((await ids(longrope)).includes("longrope-kv-switch"));
  const factorMismatch = structuredClone(longrope);
  factorMismatch.rope_scaling.factor = 16; // M/O is 32
  assert.ok((await ids(factorMismatch)).includes("factor-vs-lengths"));
  assert.ok((await ids(byId("real-deepseek-v3").config)).includes("yarn-mscale"));
  assert.ok(
    (await ids({ ...LLAMA, rope_scaling: { rope_type: "yarn", factor: 4, mscale: 0.707 } })).includes(
      "yarn-mscale",
    ),
  );
  assert.ok((await ids(byId("real-gpt-oss-20b").config)).includes("yarn-truncate"));
  assert.ok((await ids(byId("v5-llama31-8b").config)).includes("rope-parameters-v5"));
  assert.ok(
    (await ids({ ...LLAMA, rope_scaling: { rope_type: "dynamic", factor: 4 } })).includes("dynamic-ntk"),
  );
  assert.ok((await ids(byId("v5-gemma4-full_attention").config)).includes("proportional"));
});

Deno.test("doctor: a plain v4 Llama-3.1 config has no pitfall", async () => {
  assert.deepEqual(await ids(byId("real-llama31-8b").config), []);
});

Deno.test("doctor: the transformers column is the transformers fixture (short and long sets, scales)", async () => {
  for (
    const id of [
      "real-phi4-mini-none",
      "real-gpt-oss-20b",
      "v5-deepseek-v3",
      "v5-qwen3-yarn",
      "real-llama31-8b",
    ]
  ) {
    const c = byId(id);
    const r = await ropeDoctor(c.config);
    const hf = r.columns.find((x) => x.engine === "transformers")!;
    // seq_len null: HF's init set (LongRoPE short), the first set the doctor lists.
    assert.deepEqual(hf.sets[0].invFreq, c.hf.inv_freq, id);
    assert.equal(hf.sets[0].cosSinScale, c.hf.attention_factor, id);
    assert.equal(hf.softmaxScale, c.hf.softmax_scale ?? 1, id);
  }
  const long = byId("real-phi4-mini-O+1");
  const r = await ropeDoctor(long.config);
  assert.deepEqual(r.columns.find((x) => x.engine === "transformers")!.sets[1].invFreq, long.hf.inv_freq);
});

Deno.test("doctor: llama.cpp's column rounds YaRN's range (truncate) and vLLM's LongRoPE uses one set", async () => {
  const gpt = await ropeDoctor(byId("real-gpt-oss-20b").config);
  const col = (e: string) => gpt.columns.find((c) => c.engine === e)!;
  assert.notDeepEqual(col("llama.cpp").sets[0].invFreq, col("transformers").sets[0].invFreq);
  assert.ok(col("llama.cpp").ignores.includes("truncate"));
  const phi = await ropeDoctor(byId("real-phi4-mini-none").config);
  const vllm = phi.columns.find((c) => c.engine === "vllm")!;
  assert.equal(vllm.sets.length, 1);
  assert.equal(vllm.sets[0].use, "all");
});

/** `deno task rope --doctor --config PATH [...more]` as a subprocess. */
const rope = (path: string, ...more: string[]) =>
  new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      new URL("../../cli/rope.ts", import.meta.url).pathname,
      "--doctor",
      "--config",
      path,
      ...more,
    ],
  }).output();

Deno.test("rope --doctor --json (subprocess) and POST /api/rope doctor: true", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c.json`;
    await Deno.writeTextFile(path, JSON.stringify(byId("real-deepseek-v3").config));
    const out = await rope(path, "--json");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(r.pitfalls.map((p: { id: string }) => p.id), ["yarn-mscale"]);
    assert.deepEqual(r.columns.map((c: { engine: string }) => c.engine), [
      "transformers",
      "vllm",
      "llama.cpp",
      "ropekit",
    ]);
    const text = await rope(path);
    assert.match(new TextDecoder().decode(text.stdout), /\[yarn-mscale\].*softmax scale/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const app = createApp(await testContext({ runner: new HeldRunner() }));
  const res = await app.request("/api/rope", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ config: byId("real-gpt-oss-20b").config, doctor: true }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(body.doctor.pitfalls.some((p: { id: string }) => p.id === "yarn-truncate"));
  assert.equal(body.rope_type, "yarn");
});
