/**
 * llama.cpp for ropekit, in one place: which node-llama-cpp it pins, where that is installed (the repo's
 * `.engines` folder, which `.ci/run` fills by running this file; NODE_PATH or the engine setup override
 * it), how to install it there, and the one Node peer that drives it (engines/peers/llama_cpp.mjs):
 * per-token NLL for the engines harness and the export tests, prompt-processing speed for the bench.
 * node-llama-cpp is a Node addon (prebuilt llama.cpp CPU binaries), so it runs in Node, not in Deno.
 *
 *   deno run --allow-read --allow-write --allow-run --allow-env engines/llama_cpp.ts   # installs the pin
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ProcessOutput, runProcess, stdoutOfTwoTries } from "./run_process.ts";

/** The node-llama-cpp ropekit pins (prebuilt binaries for Linux x64/arm64, macOS and Windows). */
export const NODE_LLAMA_CPP = "node-llama-cpp@3.21.1";

/** The folder node-llama-cpp is installed into by default: `.engines` at the repository root. */
export const ENGINES_DIR: string = fileURLToPath(new URL("../.engines", import.meta.url));

const PEER = fileURLToPath(new URL("./peers/llama_cpp.mjs", import.meta.url));

/** How to reach node-llama-cpp. */
export interface LlamaCppSetup {
  /** The Node binary (default: ROPEKIT_NODE, else `node`). */
  node?: string;
  /** A node_modules folder holding node-llama-cpp (default: NODE_PATH, else `.engines/node_modules`). */
  nodeModules?: string;
}

/** Where node-llama-cpp is looked for: the setup's folder, else NODE_PATH, else `.engines/node_modules`. */
export function llamaCppNodeModules(setup: LlamaCppSetup = {}): string {
  return setup.nodeModules ?? Deno.env.get("NODE_PATH") ?? join(ENGINES_DIR, "node_modules");
}

function nodeOf(setup: LlamaCppSetup): string {
  return setup.node ?? Deno.env.get("ROPEKIT_NODE") ?? "node";
}

/** Runs the peer (`version`, `nll MODEL`, `speed MODEL …`) with `input` on stdin. */
function peer(args: string[], input: string, setup: LlamaCppSetup): Promise<ProcessOutput> {
  return runProcess(nodeOf(setup), [PEER, ...args], input, { NODE_PATH: llamaCppNodeModules(setup) });
}

/** The installed node-llama-cpp version, or why there is none (no Node, not installed). */
export async function llamaCppVersion(
  setup: LlamaCppSetup = {},
): Promise<{ version: string } | { why: string }> {
  let r: ProcessOutput;
  try {
    r = await peer(["version"], "", setup);
  } catch (e) {
    return { why: `node cannot start (${nodeOf(setup)}): ${(e as Error).message}` };
  }
  if (r.code === 0) return { version: JSON.parse(r.stdout).node_llama_cpp };
  return {
    why: `node-llama-cpp is not installed in ${llamaCppNodeModules(setup)} ` +
      `(deno run -A engines/llama_cpp.ts installs ${NODE_LLAMA_CPP} into .engines; or set NODE_PATH)`,
  };
}

/**
 * Installs the pinned node-llama-cpp into `prefix` (default {@linkcode ENGINES_DIR}) with npm; null when
 * it is there afterwards, else why not.
 */
export async function installLlamaCpp(prefix: string = ENGINES_DIR): Promise<string | null> {
  await Deno.mkdir(prefix, { recursive: true });
  let r: ProcessOutput;
  try {
    r = await runProcess(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefix", prefix, NODE_LLAMA_CPP],
      "",
    );
  } catch (e) {
    return `npm cannot start: ${(e as Error).message}`;
  }
  const got = await llamaCppVersion({ nodeModules: join(prefix, "node_modules") });
  if (r.code === 0 && "version" in got) return null;
  return `npm install ${NODE_LLAMA_CPP} failed: ${r.stderr.trim().split("\n").at(-1) ?? ""}`;
}

/**
 * A usable llama.cpp, installing the pin into `.engines` on first use when no override (NODE_PATH, the
 * setup's folder) is given and `.engines` lacks it or holds another version; or why there is none.
 */
export async function ensureLlamaCpp(
  setup: LlamaCppSetup = {},
  log: (line: string) => void = () => {},
): Promise<{ setup: LlamaCppSetup; version: string } | string> {
  const resolved = { node: nodeOf(setup), nodeModules: llamaCppNodeModules(setup) };
  const found = await llamaCppVersion(resolved);
  const overridden = setup.nodeModules !== undefined || Deno.env.get("NODE_PATH") !== undefined;
  const pin = NODE_LLAMA_CPP.split("@")[1];
  if ("version" in found) {
    // An override is the user's choice of version; `.engines` is ropekit's, kept at the pin.
    if (overridden || found.version === pin) return { setup: resolved, version: found.version };
  } else if (overridden || found.why.startsWith("node cannot start")) return found.why;
  log(`llama.cpp: installing ${NODE_LLAMA_CPP} into ${ENGINES_DIR} (once)…`);
  const failed = await installLlamaCpp();
  return failed ?? { setup: resolved, version: pin };
}

/** llama.cpp's per-token NLL of each window (token ids, BOS first) of the GGUF at `gguf`. */
export async function llamaCppNll(
  gguf: string,
  windows: number[][],
  setup: LlamaCppSetup = {},
): Promise<{ version: string; nll: number[][] }> {
  const out = JSON.parse(
    await stdoutOfTwoTries("llama.cpp", () => peer(["nll", gguf], JSON.stringify(windows), setup)),
  );
  return {
    version: `node-llama-cpp ${out.node_llama_cpp} (llama.cpp ${out.llama_cpp})`,
    nll: (out.windows as { nll: number[] }[]).map((w) => w.nll),
  };
}

/** Options of one llama.cpp timing. */
export interface LlamaCppRun {
  threads?: number;
  repeats?: number;
  warmup?: number;
  /** llama.cpp's flash attention: faster at head_dim 64, slower at 8 (see docs/performance.md). */
  flashAttention?: boolean;
}

/** llama.cpp's best prompt-processing time of `ids` on `gguf` (one batch of all tokens, CPU). */
export async function llamaCppTokensPerSecond(
  setup: LlamaCppSetup,
  gguf: string,
  ids: Int32Array,
  opts: LlamaCppRun = {},
): Promise<{ tokensPerS: number; flashAttention: boolean; release: string }> {
  const args = [
    "speed",
    gguf,
    "--threads",
    `${opts.threads ?? 2}`,
    "--repeats",
    `${opts.repeats ?? 2}`,
    "--warmup",
    `${opts.warmup ?? 1}`,
    ...(opts.flashAttention ? ["--flash-attention"] : []),
  ];
  const j = JSON.parse(
    await stdoutOfTwoTries("llama.cpp", () => peer(args, JSON.stringify([...ids]), setup)),
  );
  return { tokensPerS: j.tokens_per_s, flashAttention: j.flash_attention, release: j.llama_cpp };
}

if (import.meta.main) {
  const failed = await installLlamaCpp();
  if (failed) {
    console.error(`warning: ${failed}`);
    Deno.exit(1);
  }
  console.log(`${NODE_LLAMA_CPP} installed in ${ENGINES_DIR}`);
}
