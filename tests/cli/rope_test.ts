import assert from "node:assert/strict";

const cli = new URL("../../cli/rope.ts", import.meta.url).pathname;

async function rope(args: string[], config?: unknown) {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/config.json`;
  if (config !== undefined) {
    await Deno.writeTextFile(file, typeof config === "string" ? config : JSON.stringify(config));
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", cli, ...args.map((a) => a.replace("$CONFIG", file))],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const llama = {
  hidden_size: 4096,
  num_attention_heads: 32,
  max_position_embeddings: 8192,
  rope_theta: 500000,
};

Deno.test("rope --json: an array in gives an array out, seq_len per object", async () => {
  const long = Array.from({ length: 64 }, (_, i) => 1 + i / 16);
  const configs = [
    { ...llama, rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 8192 } },
    {
      ...llama,
      seq_len: 9000,
      rope_scaling: { type: "su", long_factor: long, short_factor: long.map(() => 1) },
    },
  ];
  const r = await rope(["--config", "$CONFIG", "--json"], configs);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.length, 2);
  assert.equal(out[0].rope_type, "yarn");
  assert.equal(out[0].rotary_dim, 128);
  assert.equal(out[0].inv_freq.length, 64);
  assert.equal(out[0].attention_factor, 0.1 * Math.log(4) + 1);
  assert.equal(out[1].rope_type, "longrope");
  assert.equal(out[1].table, "long");
  assert.ok(Math.abs(out[1].inv_freq[63] * long[63] - Math.pow(500000, -126 / 128)) < 1e-9);
});

Deno.test("rope: --strategy/--param on a plain config, with analysis and export", async () => {
  const r = await rope(
    [
      "--config",
      "$CONFIG",
      "--strategy",
      "longrope2",
      "--param",
      "critical_index=30",
      "--target",
      "131072",
      "--json",
      "--analysis",
      "--export",
    ],
    llama,
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.rope_type, "longrope2");
  assert.equal(out.analysis.theoreticalCriticalDim, 35);
  assert.equal(out.analysis.criticalIndex, 34); // 0-based, the official search code's ⌈x⌉ − 1
  assert.equal(out.export.hf.rope_scaling.rope_type, "longrope");
  assert.equal(out.export.hf.rope_scaling.long_factor.length, 64);
  const text = await rope(
    ["--config", "$CONFIG", "--strategy", "yarn", "--target", "32768", "--analysis"],
    llama,
  );
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /d_tcd = 35/);
  assert.match(text.stdout, /critical index k = 34/);
  assert.match(text.stdout, /\n\s+34 .*← k/); // the marked row is pair 34 (0-based)
});

Deno.test("rope: bad input exits non-zero naming the field", async () => {
  const cases: [string[], unknown, RegExp][] = [
    [["--config", "$CONFIG"], { ...llama, rope_scaling: { rope_type: "warp" } }, /unknown rope_type "warp"/],
    [["--config", "$CONFIG"], { ...llama, max_position_embeddings: undefined }, /"max_position_embeddings"/],
    [
      ["--config", "$CONFIG"],
      { ...llama, rope_scaling: { type: "su", long_factor: [1], short_factor: [1] } },
      /"long_factor" has 1 entries/,
    ],
    [["--config", "$CONFIG"], "{not json", /not valid JSON/],
    [["--config", "/nonexistent/config.json"], undefined, /cannot read --config/],
    [["--config", "$CONFIG", "--seq-len=-3"], llama, /--seq-len must be a positive integer/],
    [
      ["--config", "$CONFIG", "--strategy", "yarn", "--param", "factor=abc"],
      llama,
      /parameter "factor" must be a finite number/,
    ],
    [["--config", "$CONFIG", "--strategy", "nope"], llama, /Unknown strategy "nope"/],
    [
      ["--config", "$CONFIG", "--strategy", "config"],
      llama,
      /"config" is not a strategy here: leave the strategy out/,
    ],
    [["--config", "$CONFIG"], [{ ...llama }, { ...llama, seq_len: "x" }], /config\[1\]/],
    [[], undefined, /--config FILE is required/],
  ];
  for (const [args, config, pattern] of cases) {
    const r = await rope(args, config);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack traces for input errors");
  }
});
