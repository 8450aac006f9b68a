// Per-token NLL of token windows in llama.cpp, through node-llama-cpp's prebuilt CPU binaries.
//
//   node engines/peers/llama_cpp_nll.mjs MODEL.gguf < windows.json > nll.json
//
// NODE_PATH (or a node_modules beside this file) must hold node-llama-cpp. stdin: a JSON list of
// windows (token ids, BOS included); stdout: {"node_llama_cpp", "llama_cpp", "windows": [{"nll": [...]}]}.
// Each window runs in a fresh context sequence of exactly its length from position 0; the probability of
// each next token comes from llama.cpp's own softmax over the full vocabulary (no sampling options).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const entry = require.resolve("node-llama-cpp", {
  paths: [process.cwd(), ...(process.env.NODE_PATH ?? "").split(":")],
});
const { getLlama } = await import(entry);

const modelPath = process.argv[2];
const windows = JSON.parse(readFileSync(0, "utf8"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const out = [];
for (const w of windows) {
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
  const input = w.map((t, i) => i < w.length - 1 ? [t, { generateNext: { probabilities: true } }] : t);
  const res = await seq.controlledEvaluate(input);
  const nll = [];
  for (let i = 0; i < w.length - 1; i++) {
    const p = res[i]?.next?.probabilities?.get(w[i + 1]);
    if (p === undefined) throw new Error(`no probability for token ${i + 1}`);
    nll.push(-Math.log(p));
  }
  out.push({ nll, context_size: context.contextSize });
  await context.dispose();
}
const pkg = JSON.parse(readFileSync(new URL("../package.json", pathToFileURL(entry)), "utf8")); // entry is dist/index.js
process.stdout.write(
  JSON.stringify({
    node_llama_cpp: pkg.version,
    llama_cpp: llama.llamaCppRelease?.release ?? null,
    windows: out,
  }),
);
await model.dispose();
await llama.dispose();
