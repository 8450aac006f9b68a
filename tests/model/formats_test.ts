/**
 * The same weights through every loader give the same NLL: llama2.c .bin (interleaved pairing) vs
 * HF safetensors (q/k permuted to rotate_half), Qwen2 biases and Phi-3 fused projections against a
 * float64 oracle, and GGUF F16/Q8_0 files written here against their F32 original.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import type { LlamaWeights } from "../../model/config.ts";
import { denseWeights } from "../../model/quant_matrix.ts";
import { referenceNll } from "./_reference_forward.ts";
import { DEFAULT_MODEL, DEFAULT_TEXT } from "../_shared_dir.ts";
import {
  ggufBytes,
  type GgufTensor,
  interleavedToHalf,
  llama2cBytes,
  plainRope,
  randomWeights,
  rng,
  safetensorsBytes,
  smallConfig,
  writeHfFolder,
} from "./_fixtures.ts";

const r = rng(7);
const TOKENS = Array.from({ length: 24 }, () => 3 + Math.floor((r() + 1) * 18));
const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

Deno.test("HF llama folder (half pairing) = llama2.c .bin (interleaved) after HF's q/k permutation", async () => {
  const dir = await Deno.makeTempDir();
  const w = randomWeights(smallConfig(), 1);
  await Deno.writeFile(join(dir, "m.bin"), llama2cBytes(w, 64));
  await writeHfFolder(dir, w, 64);
  const bin = await loadModel(join(dir, "m.bin"));
  const hf = await loadModel(dir);
  assert.equal(bin.spec.pairing, "interleaved");
  assert.equal(hf.spec.pairing, "half");
  const table = plainRope(10000, 8, 1.1);
  const a = sum((await bin.nll([TOKENS], table)).nll[0]);
  const b = sum((await hf.nll([TOKENS], table)).nll[0]);
  assert.ok(relErr(b, a) < 1e-5, `${b} vs ${a}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("HF qwen2 folder: q/k/v biases are applied (float64 oracle) and matter", async () => {
  const dir = await Deno.makeTempDir();
  const w = randomWeights(smallConfig({ architecture: "qwen2" }), 2, true);
  await writeHfFolder(dir, w, 64, "qwen2");
  const m = await loadModel(dir);
  assert.ok(m.weights.layers[0].bq);
  const table = plainRope(10000, 8);
  const got = sum((await m.nll([TOKENS], table)).nll[0]);
  const want = sum(referenceNll(w, TOKENS, table.invFreq, "interleaved", 8));
  assert.ok(relErr(got, want) < 1e-4, `${got} vs oracle ${want}`);
  const noBias = { ...w, layers: w.layers.map(({ bq: _q, bk: _k, bv: _v, ...l }) => l) };
  assert.ok(relErr(sum(referenceNll(noBias, TOKENS, table.invFreq, "interleaved", 8)), want) > 1e-3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("HF phi3 folder: fused qkv_proj and gate_up_proj, partial rotary, sharded index", async () => {
  const dir = await Deno.makeTempDir();
  const c = smallConfig({ architecture: "phi3" });
  const w = randomWeights(c, 3);
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  const cat = (...a: Float32Array[]) => {
    const out = new Float32Array(a.reduce((n, x) => n + x.length, 0));
    a.reduce((off, x) => (out.set(x, off), off + x.length), 0);
    return out;
  };
  // Two shards, listed in model.safetensors.index.json.
  const shard1: Record<string, { data: Float32Array; shape: number[] }> = {
    "model.embed_tokens.weight": { data: w.embedding, shape: [c.vocabSize, c.dim] },
    "model.norm.weight": { data: w.finalNorm, shape: [c.dim] },
    "lm_head.weight": { data: w.classifier, shape: [c.vocabSize, c.dim] },
  };
  const shard2: typeof shard1 = {};
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    shard2[p + "input_layernorm.weight"] = { data: l.attnNorm, shape: [c.dim] };
    shard2[p + "self_attn.qkv_proj.weight"] = { data: cat(l.wq, l.wk, l.wv), shape: [q + 2 * kv, c.dim] };
    shard2[p + "self_attn.o_proj.weight"] = { data: l.wo, shape: [c.dim, q] };
    shard2[p + "post_attention_layernorm.weight"] = { data: l.ffnNorm, shape: [c.dim] };
    shard2[p + "mlp.gate_up_proj.weight"] = { data: cat(l.wGate, l.wUp), shape: [2 * c.hiddenDim, c.dim] };
    shard2[p + "mlp.down_proj.weight"] = { data: l.wDown, shape: [c.dim, c.hiddenDim] };
  });
  await Deno.writeFile(join(dir, "a.safetensors"), safetensorsBytes(shard1));
  await Deno.writeFile(join(dir, "b.safetensors"), safetensorsBytes(shard2));
  const weightMap = Object.fromEntries([
    ...Object.keys(shard1).map((k) => [k, "a.safetensors"]),
    ...Object.keys(shard2).map((k) => [k, "b.safetensors"]),
  ]);
  await Deno.writeTextFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ weight_map: weightMap }),
  );
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      model_type: "phi3",
      hidden_size: c.dim,
      intermediate_size: c.hiddenDim,
      num_hidden_layers: c.nLayers,
      num_attention_heads: c.nHeads,
      num_key_value_heads: c.nKvHeads,
      vocab_size: c.vocabSize,
      rms_norm_eps: c.normEps,
      rope_theta: 10000,
      partial_rotary_factor: 0.5,
      max_position_embeddings: 256,
      original_max_position_embeddings: 64,
    }),
  );
  const m = await loadModel(dir);
  assert.equal(m.spec.rotaryDim, 4);
  assert.equal(m.spec.originalContext, 64);
  assert.equal(m.spec.maxPositions, 256);
  const table = plainRope(10000, 4);
  const got = sum((await m.nll([TOKENS], table)).nll[0]);
  const want = sum(referenceNll(w, TOKENS, table.invFreq, "half", 4));
  assert.ok(relErr(got, want) < 1e-4, `${got} vs oracle ${want}`);
  await Deno.remove(dir, { recursive: true });
});

/** GGUF tensors of a llama model; matrices as [cols, rows] ggml dims. */
function ggufTensors(w: LlamaWeights, type: 0 | 1 | 8): GgufTensor[] {
  const c = w.config;
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  // As llama.cpp: norms stay F32, matrices take the file's type.
  const vec = (name: string, data: Float32Array): GgufTensor => ({
    name,
    dims: [data.length],
    data,
    type: 0,
  });
  const mat = (name: string, data: Float32Array, rows: number, cols: number): GgufTensor => ({
    name,
    dims: [cols, rows],
    data,
    type,
  });
  return [
    mat("token_embd.weight", w.embedding, c.vocabSize, c.dim),
    vec("output_norm.weight", w.finalNorm),
    mat("output.weight", w.classifier, c.vocabSize, c.dim),
    ...w.layers.flatMap((l, i) => [
      vec(`blk.${i}.attn_norm.weight`, l.attnNorm),
      mat(`blk.${i}.attn_q.weight`, l.wq, q, c.dim),
      mat(`blk.${i}.attn_k.weight`, l.wk, kv, c.dim),
      mat(`blk.${i}.attn_v.weight`, l.wv, kv, c.dim),
      mat(`blk.${i}.attn_output.weight`, l.wo, c.dim, q),
      vec(`blk.${i}.ffn_norm.weight`, l.ffnNorm),
      mat(`blk.${i}.ffn_gate.weight`, l.wGate, c.hiddenDim, c.dim),
      mat(`blk.${i}.ffn_up.weight`, l.wUp, c.hiddenDim, c.dim),
      mat(`blk.${i}.ffn_down.weight`, l.wDown, c.dim, c.hiddenDim),
    ]),
  ];
}

Deno.test({
  name: "GGUF written here: F32 = .bin exactly; F16 and Q8_0 within quantisation tolerance",
  fn: async () => {
    const bin = await loadModel(DEFAULT_MODEL); // the in-repo facts837K (llama2.c layout)
    const w = denseWeights(bin.weights);
    const c = w.config;
    const tokens = bin.tokenizer.encode((await Deno.readTextFile(DEFAULT_TEXT)).slice(0, 400));
    const table = plainRope(10000, c.headDim);
    const L0 = bin.spec.originalContext;
    const ref = sum((await bin.nll([tokens], table)).nll[0]);
    const dir = await Deno.makeTempDir();
    const metadata = {
      "general.architecture": { str: "llama" },
      "llama.context_length": { u32: L0 },
      "llama.embedding_length": { u32: c.dim },
      "llama.feed_forward_length": { u32: c.hiddenDim },
      "llama.block_count": { u32: c.nLayers },
      "llama.attention.head_count": { u32: c.nHeads },
      "llama.attention.head_count_kv": { u32: c.nKvHeads },
      "llama.rope.dimension_count": { u32: c.headDim },
      "llama.attention.layer_norm_rms_epsilon": { f32: 1e-5 },
    };
    const results: Record<number, number> = {};
    for (const type of [0, 1, 8] as const) {
      const path = join(dir, `m${type}.gguf`);
      await Deno.writeFile(path, ggufBytes(metadata, ggufTensors(w, type)));
      const m = await loadModel(path, { tokenizer: join(DEFAULT_MODEL, "../tok768.bin") });
      assert.equal(m.spec.originalContext, L0);
      results[type] = sum((await m.nll([tokens], table)).nll[0]);
    }
    assert.ok(relErr(results[0], ref) < 1e-6, `F32 ${results[0]} vs ${ref}`);
    assert.ok(relErr(results[1], ref) < 2e-3, `F16 ${results[1]} vs ${ref}`);
    assert.ok(relErr(results[8], ref) < 2e-2, `Q8_0 ${results[8]} vs ${ref}`);
    assert.notEqual(results[8], ref); // the quantised weights were really used
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("interleavedToHalf moves pair (2j, 2j+1) to (j, j + hd/2)", () => {
  const w = Float32Array.from({ length: 8 }, (_, i) => i); // one head of 8 rows × 1 column
  assert.deepEqual([...interleavedToHalf(w, 1, 8, 1)], [0, 2, 4, 6, 1, 3, 5, 7]);
});
