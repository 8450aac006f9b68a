// The llama.cpp peer of `deno task bench`, run by Node (bench/llama_cpp.ts starts it): prompt
// processing of the given token ids with node-llama-cpp's prebuilt llama.cpp on the CPU. Prints one
// JSON line: {tokens_per_s, seconds_min, threads, llama_cpp}.
//
//   node bench/llama_cpp_peer.mjs --prefix DIR --model M.gguf --tokens IDS.json [--threads 2]
//                                  [--repeats 3] [--warmup 1] [--flash-attention]
//
// DIR is where node-llama-cpp is installed (DIR/node_modules/node-llama-cpp). Each repeat clears the
// context and evaluates all tokens in one batch (batch size = the token count), as ropekit's NLL pass
// does; `warmup` untimed passes come first.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    prefix: { type: "string" },
    model: { type: "string" },
    tokens: { type: "string" },
    threads: { type: "string", default: "2" },
    repeats: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    "flash-attention": { type: "boolean" },
  },
});
if (!args.prefix || !args.model || !args.tokens) {
  console.error(
    "usage: llama_cpp_peer.mjs --prefix DIR --model M.gguf --tokens IDS.json [--threads N] [--repeats N]",
  );
  process.exit(2);
}
const entry = join(args.prefix, "node_modules", "node-llama-cpp", "dist", "index.js");
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
const tokens = JSON.parse(readFileSync(args.tokens, "utf8"));
const threads = Number(args.threads);

// build: "never" keeps to the prebuilt binaries; gpu: false keeps llama.cpp on the CPU.
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
const context = await model.createContext({
  contextSize: tokens.length,
  batchSize: tokens.length,
  threads,
  sequences: 1,
  flashAttention: Boolean(args["flash-attention"]),
});
const sequence = context.getSequence();
let best = Infinity;
for (let r = -Number(args.warmup); r < Number(args.repeats); r++) {
  await sequence.clearHistory();
  const t0 = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(tokens);
  const s = (performance.now() - t0) / 1000;
  if (r >= 0) best = Math.min(best, s);
}
console.log(JSON.stringify({
  tokens_per_s: tokens.length / best,
  seconds_min: best,
  threads,
  flash_attention: Boolean(args["flash-attention"]),
  llama_cpp: llama.llamaCppRelease?.release ?? "unknown",
}));
await context.dispose();
await model.dispose();
await llama.dispose();
