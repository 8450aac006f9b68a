/**
 * llama.cpp as a second peer of `deno task bench`: prompt-processing tokens/s of the prebuilt llama.cpp
 * in the npm package node-llama-cpp (pinned, CPU, 2 threads) on a GGUF written from the weights ropekit
 * ran (model/gguf_writer.ts: same tensors, f32) and the same token ids. node-llama-cpp is a Node addon,
 * so the timing runs in Node (bench/llama_cpp_peer.mjs); it is installed on first use into
 * `.cache/llama_cpp_peer` with npm.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Model } from "../model/model.ts";
import { placeholderVocab, writeGguf } from "../model/gguf_writer.ts";
import { output } from "./peer.ts";

/** The version the bench pins (its prebuilt binaries install with npm on Linux x64/arm64, macOS, Windows). */
export const NODE_LLAMA_CPP = "node-llama-cpp@3.21.1";
const SCRIPT = fileURLToPath(new URL("./llama_cpp_peer.mjs", import.meta.url));

/** A usable llama.cpp peer: node and the folder node-llama-cpp is installed in. */
export interface LlamaCpp {
  node: string;
  prefix: string;
}

/** node-llama-cpp under `prefix` (installing it there with npm on first use), or why it is unavailable. */
export async function findLlamaCpp(prefix: string, log: (s: string) => void): Promise<LlamaCpp | string> {
  const node = Deno.env.get("ROPEKIT_NODE") ?? "node";
  if (!(await output(node, ["--version"])).ok) return `no Node.js (${node}) to run llama.cpp's npm package`;
  const pkg = `${prefix}/node_modules/node-llama-cpp/package.json`;
  const installed = () => {
    try {
      return JSON.parse(Deno.readTextFileSync(pkg)).version === NODE_LLAMA_CPP.split("@")[1];
    } catch {
      return false;
    }
  };
  if (!installed()) {
    log(`llama.cpp peer: installing ${NODE_LLAMA_CPP} into ${prefix} (once)…`);
    await Deno.mkdir(prefix, { recursive: true });
    await Deno.writeTextFile(`${prefix}/package.json`, '{"name":"ropekit-llama-cpp-peer","private":true}\n');
    const r = await output("npm", ["install", "--no-audit", "--no-fund", "--prefix", prefix, NODE_LLAMA_CPP]);
    if (!r.ok || !installed()) {
      return `npm install ${NODE_LLAMA_CPP} failed: ${r.err.trim().split("\n").at(-1)}`;
    }
  }
  return { node, prefix };
}

/** A GGUF of `model`'s weights (once per name) in `dir`: the file llama.cpp runs. */
export async function ggufOf(model: Model, dir: string, name: string): Promise<string> {
  const path = `${dir}/${name}.gguf`;
  try {
    Deno.statSync(path);
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    // Token ids are passed directly, so any vocabulary of the right size works.
    await writeGguf(path, model.weights, model.spec, placeholderVocab(model.config.vocabSize), name);
  }
  return path;
}

/** Options of one llama.cpp timing. */
export interface LlamaCppRun {
  threads?: number;
  repeats?: number;
  warmup?: number;
  /** llama.cpp's flash attention: faster at head_dim 64, slower at 8 (see docs/performance.md). */
  flashAttention?: boolean;
}

/** llama.cpp's best prompt-processing time of `ids` on `gguf` (one batch of all tokens). */
export async function llamaCppTokensPerSecond(
  lc: LlamaCpp,
  gguf: string,
  ids: Int32Array,
  opts: LlamaCppRun = {},
): Promise<{ tokensPerS: number; flashAttention: boolean; release: string }> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify([...ids]));
    const args = [
      SCRIPT,
      "--prefix",
      lc.prefix,
      "--model",
      gguf,
      "--tokens",
      file,
      "--threads",
      `${opts.threads ?? 2}`,
      "--repeats",
      `${opts.repeats ?? 2}`,
      "--warmup",
      `${opts.warmup ?? 1}`,
      ...(opts.flashAttention ? ["--flash-attention"] : []),
    ];
    const r = await output(lc.node, args);
    if (!r.ok) throw new Error(`llama.cpp peer failed: ${r.err.trim().split("\n").at(-1)}`);
    const j = JSON.parse(r.out.trim().split("\n").at(-1)!);
    return { tokensPerS: j.tokens_per_s, flashAttention: j.flash_attention, release: j.llama_cpp };
  } finally {
    await Deno.remove(file);
  }
}
