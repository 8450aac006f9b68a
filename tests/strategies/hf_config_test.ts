import assert from "node:assert/strict";
import { ConfigError, readHfConfig, ropeFromHfConfig } from "../../mod.ts";

const llama = {
  hidden_size: 4096,
  num_attention_heads: 32,
  max_position_embeddings: 8192,
  rope_theta: 500000,
};

Deno.test("hf config: default when no rope_scaling; head_dim from hidden/heads", () => {
  const r = readHfConfig(llama);
  assert.equal(r.ropeType, "default");
  assert.deepEqual(r.spec, {
    theta: 500000,
    headDim: 128,
    rotaryDim: 128,
    originalContext: 8192,
    maxPositions: 8192,
    pairing: "half",
  });
});

Deno.test("hf config: legacy type, HF names and rope_parameters map to ropekit strategies", () => {
  assert.equal(readHfConfig({ ...llama, rope_scaling: { type: "linear", factor: 2 } }).ropeType, "pi");
  assert.equal(
    readHfConfig({ ...llama, rope_scaling: { rope_type: "dynamic", factor: 2 } }).ropeType,
    "dynamic-ntk",
  );
  assert.equal(readHfConfig({ ...llama, rope_parameters: { rope_type: "ntk", factor: 2 } }).ropeType, "ntk");
  const su = readHfConfig({ ...llama, rope_scaling: { type: "su", long_factor: [1], short_factor: [1] } });
  assert.equal(su.ropeType, "longrope");
});

Deno.test("hf config: Phi-3 top-level original_max_position_embeddings wins for longrope", () => {
  const ones = new Array(48).fill(1);
  const phi = {
    model_type: "phi3",
    hidden_size: 3072,
    num_attention_heads: 32,
    max_position_embeddings: 131072,
    original_max_position_embeddings: 4096,
    rope_scaling: {
      type: "longrope",
      long_factor: ones,
      short_factor: ones,
      original_max_position_embeddings: 2048,
    },
  };
  const r = readHfConfig(phi);
  assert.equal(r.spec.originalContext, 4096);
  assert.equal(r.targetLength, 131072);
  // phi3 maps a legacy "yarn" type to longrope, as Phi3Config does.
  assert.equal(
    readHfConfig({ ...phi, rope_scaling: { ...phi.rope_scaling, type: "yarn" } }).ropeType,
    "longrope",
  );
});

Deno.test("hf config: YaRN's Python `or` defaults and null factor", async () => {
  const base = { ...llama, max_position_embeddings: 32768 };
  const zeroBetas = await ropeFromHfConfig({
    ...base,
    rope_scaling: {
      rope_type: "yarn",
      factor: 4,
      beta_fast: 0,
      beta_slow: null,
      original_max_position_embeddings: 8192,
    },
  });
  const defaults = await ropeFromHfConfig({
    ...base,
    rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 8192 },
  });
  assert.deepEqual(zeroBetas.chosen.invFreq, defaults.chosen.invFreq);
  const nullFactor = await ropeFromHfConfig({
    ...base,
    rope_scaling: { rope_type: "yarn", factor: null, original_max_position_embeddings: 8192 },
  });
  assert.deepEqual(nullFactor.chosen.invFreq, defaults.chosen.invFreq); // M / O = 4
});

Deno.test("hf config: partial rotary and seq_len pick LongRoPE's set", async () => {
  const long = Array.from({ length: 48 }, (_, i) => 1 + i);
  const cfg = {
    hidden_size: 3072,
    num_attention_heads: 24,
    partial_rotary_factor: 0.75,
    max_position_embeddings: 131072,
    original_max_position_embeddings: 4096,
    rope_scaling: { rope_type: "longrope", long_factor: long, short_factor: new Array(48).fill(1) },
  };
  assert.equal((await ropeFromHfConfig(cfg)).chosen.choice, "short");
  assert.equal((await ropeFromHfConfig(cfg, { seqLen: 4096 })).chosen.choice, "short");
  const r = await ropeFromHfConfig(cfg, { seqLen: 4097 });
  assert.equal(r.chosen.choice, "long");
  assert.equal(r.spec.rotaryDim, 96);
  assert.equal(r.chosen.invFreq.length, 48);
});

Deno.test("hf config: bad input names the field", async () => {
  assert.throws(
    () => readHfConfig({ ...llama, max_position_embeddings: undefined }),
    /"max_position_embeddings"/,
  );
  assert.throws(
    () => readHfConfig({ ...llama, rope_scaling: { rope_type: "warp" } }),
    /unknown rope_type "warp"/,
  );
  assert.throws(
    () => readHfConfig({ ...llama, rope_scaling: { rope_type: "linear" } }),
    /missing required key "factor"/,
  );
  assert.throws(() => readHfConfig({ ...llama, rope_theta: "big" }), /"rope_theta" must be a finite number/);
  assert.throws(() => readHfConfig({ ...llama, hidden_size: undefined }), /"hidden_size"/);
  await assert.rejects(
    ropeFromHfConfig({
      ...llama,
      rope_scaling: { type: "longrope", long_factor: [1, 2], short_factor: [1, 2] },
    }),
    (e: Error) =>
      e instanceof ConfigError && /long_factor" has 2 entries, expected rotary_dim\/2 = 64/.test(e.message),
  );
  await assert.rejects(
    ropeFromHfConfig({ ...llama, rope_scaling: { type: "linear", factor: Number.NaN } }),
    /"factor" must be a finite number/,
  );
  await assert.rejects(
    ropeFromHfConfig({ ...llama, rope_scaling: { type: "linear", factor: 2 } }, { strategy: "yarn" }),
    /already has rope_scaling of type "linear"/,
  );
});
