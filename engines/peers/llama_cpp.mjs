// ropekit's one llama.cpp peer: node-llama-cpp's prebuilt llama.cpp, on the CPU, run by Node (node-llama-cpp
// is a Node addon). engines/llama_cpp.ts starts it; the harness, the export tests and the bench all go
// through that file.
//
//   node engines/peers/llama_cpp.mjs version
//   node engines/peers/llama_cpp.mjs nll MODEL.gguf < windows.json > nll.json
//   node engines/peers/llama_cpp.mjs speed MODEL.gguf < ids.json [--threads 2] [--repeats 3] [--warmup 1]
//                                         [--flash-attention]
//
// node-llama-cpp is found one way: resolved from the working directory and each NODE_PATH folder.
//
// version: {"node_llama_cpp"}.
// nll: stdin a JSON list of windows (token ids, BOS included); stdout {"node_llama_cpp", "llama_cpp",
//   "windows": [{"nll": [...]}]}. Each window runs in a fresh context of exactly its length from position 0;
//   the probability of each next token is llama.cpp's own softmax over the full vocabulary (no sampling).
// speed: stdin a JSON list of token ids; stdout {"tokens_per_s", "seconds_min", "threads", "flash_attention",
//   "llama_cpp"}: prompt processing of all ids in one batch (batch size = the token count, as ropekit's NLL
//   pass does), best of `repeats` after `warmup` untimed passes, the context cleared before each.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const USAGE = "usage: llama_cpp.mjs version | nll MODEL.gguf < windows.json | speed MODEL.gguf < ids.json " +
  "[--threads N] [--repeats N] [--warmup N] [--flash-attention]";
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threads: { type: "string", default: "2" },
    repeats: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    "flash-attention": { type: "boolean", default: false },
  },
});
const [command, modelPath] = positionals;
if (!["version", "nll", "speed"].includes(command) || (command !== "version" && !modelPath)) {
  console.error(USAGE);
  process.exit(2);
}

const require = createRequire(import.meta.url);
const entry = require.resolve("node-llama-cpp", {
  paths: [process.cwd(), ...(process.env.NODE_PATH ?? "").split(":").filter(Boolean)],
});
// entry is dist/index.js; the package's version is in the package.json above it.
const version = JSON.parse(readFileSync(new URL("../package.json", pathToFileURL(entry)), "utf8")).version;
if (command === "version") {
  process.stdout.write(JSON.stringify({ node_llama_cpp: version }));
  process.exit(0);
}

const { getLlama } = await import(pathToFileURL(entry).href);
// stdin through the stream, not readFileSync(0): once libuv has opened the pipe (node-llama-cpp's import
// does) it is non-blocking, and a synchronous read of an input larger than the pipe's 64 KiB buffer
// (32k token ids) fails with EAGAIN whenever it catches up with the writer.
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
// build: "never" keeps to the prebuilt binaries; gpu: false keeps llama.cpp on the CPU.
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const release = llama.llamaCppRelease?.release ?? null;

if (command === "nll") {
  const out = [];
  for (const w of input) {
    // F32 KV cache: the default F16 cache rounds keys and values, a difference of its own, not RoPE's.
    const context = await model.createContext({
      contextSize: w.length,
      batchSize: w.length,
      sequences: 1,
      threads: 1,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
    });
    const seq = context.getSequence();
    const steps = w.map((t, i) => i < w.length - 1 ? [t, { generateNext: { probabilities: true } }] : t);
    const res = await seq.controlledEvaluate(steps);
    const nll = [];
    for (let i = 0; i < w.length - 1; i++) {
      const p = res[i]?.next?.probabilities?.get(w[i + 1]);
      if (p === undefined) throw new Error(`no probability for token ${i + 1}`);
      nll.push(-Math.log(p));
    }
    out.push({ nll, context_size: context.contextSize });
    await context.dispose();
  }
  process.stdout.write(JSON.stringify({ node_llama_cpp: version, llama_cpp: release, windows: out }));
} else {
  const threads = Number(opts.threads);
  const context = await model.createContext({
    contextSize: input.length,
    batchSize: input.length,
    threads,
    sequences: 1,
    flashAttention: opts["flash-attention"],
  });
  const sequence = context.getSequence();
  let best = Infinity;
  for (let r = -Number(opts.warmup); r < Number(opts.repeats); r++) {
    await sequence.clearHistory();
    const t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(input);
    const s = (performance.now() - t0) / 1000;
    if (r >= 0) best = Math.min(best, s);
  }
  process.stdout.write(JSON.stringify({
    tokens_per_s: input.length / best,
    seconds_min: best,
    threads,
    flash_attention: opts["flash-attention"],
    llama_cpp: release ?? "unknown",
  }));
  await context.dispose();
}
await model.dispose();
await llama.dispose();
