/**
 * ropekit's one llama.cpp peer (engines/llama_cpp.ts → engines/peers/llama_cpp.mjs): where it looks for
 * node-llama-cpp, and both of its commands on one small GGUF — `nll` against ropekit's own NLL of the same
 * file, `speed` (the bench's timing) giving a positive rate. Skipped, with the reason, without node-llama-cpp.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TOLERANCE } from "../../engines/engines.ts";
import {
  ENGINES_DIR,
  ensureLlamaCpp,
  llamaCppNll,
  llamaCppNodeModules,
  llamaCppTokensPerSecond,
  llamaCppVersion,
} from "../../engines/llama_cpp.ts";
import { placeholderVocab, writeGguf } from "../../model/gguf_writer.ts";
import { loadModel } from "../../model/load_model.ts";
import { plainRope, randomWeights, rng, smallConfig } from "../model/_fixtures.ts";

const found = await llamaCppVersion();
const missing = "why" in found ? found.why : null;
if (missing) console.log(`llama_cpp_test: node-llama-cpp checks skipped: ${missing}`);

Deno.test("llama.cpp peer: node-llama-cpp is looked for in the setup's folder, else NODE_PATH, else .engines", () => {
  const saved = Deno.env.get("NODE_PATH");
  try {
    Deno.env.delete("NODE_PATH");
    assert.equal(llamaCppNodeModules(), join(ENGINES_DIR, "node_modules"));
    Deno.env.set("NODE_PATH", "/elsewhere/node_modules");
    assert.equal(llamaCppNodeModules(), "/elsewhere/node_modules");
    assert.equal(llamaCppNodeModules({ nodeModules: "/mine" }), "/mine");
  } finally {
    if (saved === undefined) Deno.env.delete("NODE_PATH");
    else Deno.env.set("NODE_PATH", saved);
  }
});

Deno.test("llama.cpp peer: a folder without node-llama-cpp is named, and an override is never installed into", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const setup = { nodeModules: empty };
    const why = await llamaCppVersion(setup);
    assert.ok("why" in why && why.why.includes(empty), JSON.stringify(why));
    const lines: string[] = [];
    const r = await ensureLlamaCpp(setup, (l) => lines.push(l));
    assert.equal(typeof r, "string");
    assert.deepEqual(lines, []);
    assert.deepEqual([...Deno.readDirSync(empty)], []);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test({
  name: "llama.cpp peer: one script scores (nll, as ropekit does) and times (speed) the same GGUF",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const config = smallConfig({
        dim: 64,
        hiddenDim: 128,
        nHeads: 4,
        nKvHeads: 2,
        headDim: 16,
        vocabSize: 300,
      });
      const spec = {
        theta: 10000,
        headDim: 16,
        rotaryDim: 16,
        originalContext: 128,
        maxPositions: 128,
        pairing: "interleaved" as const,
      };
      const gguf = join(dir, "tiny.gguf");
      await writeGguf(gguf, randomWeights(config, 5), spec, placeholderVocab(config.vocabSize));
      const r = rng(2);
      const window = [1, ...Array.from({ length: 63 }, () => 3 + Math.floor((r() + 1) / 2 * 290))];

      const theirs = await llamaCppNll(gguf, [window]);
      assert.match(theirs.version, new RegExp(`^node-llama-cpp ${"version" in found ? found.version : ""} `));
      const mine = (await (await loadModel(gguf)).nll([window], plainRope(10000, 16))).nll[0];
      assert.equal(theirs.nll[0].length, mine.length);
      const maxAbs = Math.max(...mine.map((v, i) => Math.abs(v - theirs.nll[0][i])));
      assert.ok(maxAbs <= TOLERANCE["llama.cpp"].max, `llama.cpp vs ropekit max |Δ| ${maxAbs}`);

      // An input larger than a pipe's 64 KiB buffer (300 windows, ~80 KB of JSON; the bench's 32k-token
      // growth row sends ~200 KB): the script once read stdin synchronously and died with EAGAIN here.
      const many = await llamaCppNll(gguf, Array.from({ length: 300 }, () => window));
      assert.ok(JSON.stringify(Array(300).fill(window)).length > 65536);
      assert.equal(many.nll.length, 300);
      for (const nll of many.nll) assert.deepEqual(nll, theirs.nll[0]);

      const speed = await llamaCppTokensPerSecond({}, gguf, Int32Array.from(window), {
        threads: 1,
        repeats: 1,
        warmup: 0,
        flashAttention: true,
      });
      console.log(`llama.cpp ${speed.release}: ${speed.tokensPerS.toFixed(0)} tok/s on 64 tokens`);
      assert.ok(Number.isFinite(speed.tokensPerS) && speed.tokensPerS > 0, `${speed.tokensPerS}`);
      assert.equal(speed.flashAttention, true);
      assert.notEqual(speed.release, "unknown");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
