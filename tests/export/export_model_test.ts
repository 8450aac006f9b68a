/**
 * `deno task export` as a user runs it (subprocess): a Hugging Face folder and a GGUF that ropekit
 * loads back to the same per-token NLL as the original model under the same strategy (so weights,
 * q/k layout, RoPE fields and tokenizer survive the trip), and clear refusals for what an engine
 * cannot express. The engines themselves are tested in tests/engines/.
 */
import assert from "node:assert/strict";
import { loadModel } from "../../model/load_model.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { ropeFromHfConfig } from "../../strategies/hf_config.ts";
import { DEFAULT_MODEL, evalTextBeside } from "../../compare/defaults.ts";

const CLI = new URL("../../cli/export.ts", import.meta.url).pathname;
const PERMS = ["--allow-ffi=.build", "--allow-read", "--allow-write", "--allow-env", "--allow-net"];

async function runExport(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", ...PERMS, CLI, ...args] }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const original = await loadModel(DEFAULT_MODEL);
const text = (await Deno.readTextFile((await evalTextBeside(DEFAULT_MODEL))!)).slice(0, 3000);
const window = [original.tokenizer.bosId, ...original.tokenizer.encode(text, { bos: false }).slice(0, 299)];

async function nllUnder(path: string, strategy: string, target: number): Promise<Float32Array> {
  const m = path === DEFAULT_MODEL ? original : await loadModel(path);
  const t = await buildTable(builtinRegistry().get(strategy), m.spec, {
    targetLength: target,
    seqLen: window.length,
  });
  return (await m.nll([window], t)).nll[0];
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

Deno.test("export --to hf: config.json v5/v4, safetensors and tokenizer.json load back to the same NLL", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const format of ["v5", "v4"]) {
      const out = `${dir}/yarn_${format}`;
      const r = await runExport([
        "--strategy",
        "yarn",
        "--target",
        "2048",
        "--to",
        "hf",
        "--out",
        out,
        "--hf-format",
        format,
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout);
      assert.deepEqual(result.files, [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
      ]);
      const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
      const block = format === "v5" ? config.rope_parameters : config.rope_scaling;
      assert.equal(block.rope_type, "yarn");
      assert.equal(block.factor, 8);
      assert.equal(block.original_max_position_embeddings, 256);
      assert.equal(config.max_position_embeddings, 2048);
      // The config's own RoPE (what transformers will apply) is ropekit's yarn table for this model.
      const fromConfig = await ropeFromHfConfig(config);
      const direct = await buildTable(builtinRegistry().get("yarn"), original.spec, { targetLength: 2048 });
      assert.deepEqual(Array.from(fromConfig.table.invFreq), Array.from(direct.invFreq));
      assert.equal(fromConfig.table.attentionScale, direct.attentionScale);
      // Weights (q/k permuted to rotate_half) give the same NLL in ropekit's own forward pass.
      const exported = await loadModel(out);
      assert.equal(exported.spec.pairing, "half");
      assert.ok(
        maxDiff(await nllUnder(out, "yarn", 2048), await nllUnder(DEFAULT_MODEL, "yarn", 2048)) < 1e-4,
      );
      // tokenizer.json (a BPE with byte fallback) encodes like the llama2.c tokenizer it came from.
      assert.deepEqual(exported.tokenizer.encode(text), original.tokenizer.encode(text));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `export --strategy S --target 2048 --to gguf --out OUT --json`, which must succeed; its JSON result. */
async function ggufExport(strategy: string, out: string) {
  const r = await runExport([
    "--strategy",
    strategy,
    "--target",
    "2048",
    "--to",
    "gguf",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("export --to gguf: tensors, rope keys and vocabulary load back to the same NLL", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/llama3.gguf`;
    const result = await ggufExport("llama3", out);
    assert.equal(result.rope["llama.rope.freq_base"], 10000);
    assert.equal(result.rope["rope_freqs.weight"].length, 16);
    const back = await loadModel(out);
    assert.equal(back.spec.pairing, "interleaved");
    assert.deepEqual(back.tokenizer.encode(text), original.tokenizer.encode(text));
    assert.ok(
      maxDiff(await nllUnder(out, "default", 256), await nllUnder(DEFAULT_MODEL, "default", 256)) < 1e-4,
    );
    // Short and long sets go out as llama.cpp's phi3 architecture (both factor tensors, fused matrices).
    const lr2 = `${dir}/longrope2.gguf`;
    const res2 = await ggufExport("longrope2", lr2);
    assert.equal(res2.rope["rope_factors_long.weight"].length, 16);
    assert.ok(res2.rope["rope_factors_short.weight"].every((v: number) => v === 1));
    assert.equal(res2.rope["phi3.rope.scaling.original_context_length"], 256);
    const phi = await loadModel(lr2);
    assert.equal(phi.config.architecture, "phi3");
    assert.ok(
      maxDiff(await nllUnder(lr2, "default", 256), await nllUnder(DEFAULT_MODEL, "default", 256)) < 1e-4,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export takes a search result (name@result.json) like compare does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const params = { long_factor: Array.from({ length: 16 }, (_, i) => 1 + i * 0.5) };
    await Deno.writeTextFile(
      `${dir}/lr2.json`,
      JSON.stringify({ format: "ropekit-search-result", version: 2, strategy: "longrope2", params }),
    );
    const r = await runExport([
      "--strategy",
      `longrope2@${dir}/lr2.json`,
      "--target",
      "2048",
      "--to",
      "hf",
      "--out",
      `${dir}/hf`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/hf/config.json`));
    const back = await ropeFromHfConfig(config, { seqLen: 2048 });
    const want = await buildTable(
      builtinRegistry().get("longrope2"),
      original.spec,
      { targetLength: 2048 },
      params,
    );
    assert.deepEqual(Array.from(back.chosen.invFreq), Array.from(want.invFreq));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export refuses what an engine cannot express, with the reason and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string[], RegExp][] = [
      [
        ["--strategy", "longrope:start_tokens=4", "--to", "hf"],
        /start_tokens=4 .*neither transformers nor llama\.cpp/,
      ],
      [["--strategy", "dynamic-ntk", "--to", "gguf"], /llama\.cpp has no dynamic NTK/],
      [["--strategy", "yarn:truncate=false", "--to", "gguf"], /always truncates/],
      [["--strategy", "yarn:attention_factor=1.5", "--to", "gguf"], /0\.1·ln s \+ 1/],
      [["--strategy", "proportional:partial_rotary_factor=0.5", "--to", "gguf"], /no p-RoPE/],
      [["--strategy", "yarn", "--to", "onnx"], /--to must be hf or gguf/],
    ];
    for (const [args, message] of cases) {
      const out = `${dir}/x`;
      const r = await runExport([...args, "--target", "2048", "--out", out]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
      await assert.rejects(Deno.stat(out), "nothing written");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
