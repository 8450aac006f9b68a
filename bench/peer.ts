/**
 * The PyTorch peer (`shared/peers/torch_llama.py`) for the NLL and training benchmarks: finding a Python
 * with torch, timing its forward pass and its training step, scoring tokens, and writing random models.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The peer script (override with ROPEKIT_PEER_SCRIPT). */
export const PEER_SCRIPT = Deno.env.get("ROPEKIT_PEER_SCRIPT") ??
  fileURLToPath(new URL("../../shared/peers/torch_llama.py", import.meta.url));

/** A Python that imports torch, and the torch version. */
export interface Peer {
  python: string;
  torch: string;
}

/** Runs `cmd`, capturing its output; ok false (with the error) when it fails or cannot start. */
export async function output(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

/** ROPEKIT_PEER_PYTHON when set, else python3, if it imports torch; else why not. */
export async function findPeer(): Promise<Peer | string> {
  try {
    Deno.statSync(PEER_SCRIPT);
  } catch {
    return `peer script ${PEER_SCRIPT} not found`;
  }
  const env = Deno.env.get("ROPEKIT_PEER_PYTHON");
  const candidates = env ? [env] : ["python3"];
  for (const python of candidates) {
    const r = await output(python, ["-c", "import torch; print(torch.__version__)"]);
    if (r.ok) return { python, torch: r.out.trim() };
  }
  return `no Python with torch (tried ${candidates.join(", ")}; set ROPEKIT_PEER_PYTHON)`;
}

async function runJson(peer: Peer, args: string[]): Promise<Record<string, unknown>> {
  const r = await output(peer.python, [PEER_SCRIPT, ...args]);
  if (!r.ok) throw new Error(`peer ${args[0]} failed: ${r.err.trim().split("\n").at(-1)}`);
  return JSON.parse(r.out.trim().split("\n").at(-1)!);
}

/** The peer's own benchmark: best of `repeats` warm forward passes over `length` tokens. */
export async function peerTokensPerSecond(peer: Peer, model: string, length: number, repeats: number) {
  const r = await runJson(peer, [
    "bench",
    "--model",
    model,
    "--length",
    `${length}`,
    "--repeats",
    `${repeats}`,
  ]);
  return { tokensPerS: r.tokens_per_s as number, threads: r.threads as number };
}

/**
 * The peer's training benchmark (`train-bench`): one window of `length` + 1 random tokens per step
 * (batch 1), forward, mean cross-entropy, backward and a torch AdamW step (lr 1e-4, its defaults);
 * one untimed warm-up step, then the best of `repeats` steps.
 */
export async function peerTrainTokensPerSecond(peer: Peer, model: string, length: number, repeats: number) {
  const r = await runJson(peer, [
    "train-bench",
    "--model",
    model,
    "--length",
    `${length}`,
    "--repeats",
    `${repeats}`,
  ]);
  return {
    tokensPerS: r.tokens_per_s as number,
    secondsMin: r.seconds_min as number,
    threads: r.threads as number,
  };
}

/** Per-token NLL of one window as the peer computes it (theta 10000, interleaved: llama2.c). */
export async function peerNll(peer: Peer, model: string, tokens: Int32Array): Promise<Float64Array> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify([[...tokens]]));
    const r = await runJson(peer, ["nll", "--model", model, "--tokens", file]);
    return Float64Array.from((r.nll as number[][])[0]);
  } finally {
    await Deno.remove(file);
  }
}

/** Shape of a random llama written by the peer's `make-random`, and the file name it is cached under. */
export interface RandomShape {
  file: string;
  dim: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  seq: number;
}

/** The random ~25M llama of the NLL benchmark: dim 512, hidden 1376, 8 layers, 8 heads. */
export const RANDOM_25M: RandomShape = {
  file: "random25m-d512-h1376-l8.bin",
  dim: 512,
  hidden: 1376,
  layers: 8,
  heads: 8,
  kvHeads: 8,
  vocab: 512,
  seq: 512,
};

/** Where {@linkcode randomModel} caches a shape in `dir`. */
export function randomModelPath(dir: string, shape: RandomShape = RANDOM_25M): string {
  return join(dir, shape.file);
}

/** Writes (once) a random llama of `shape` (default the 25M one) with the peer; returns its path. */
export async function randomModel(peer: Peer, dir: string, shape: RandomShape = RANDOM_25M): Promise<string> {
  const path = randomModelPath(dir, shape);
  try {
    Deno.statSync(path);
    return path;
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    const { dim, hidden, layers, heads, kvHeads, vocab, seq } = shape;
    const args = [
      "--dim",
      dim,
      "--hidden",
      hidden,
      "--layers",
      layers,
      "--heads",
      heads,
      "--kv-heads",
      kvHeads,
    ]
      .map(String);
    await runJson(peer, ["make-random", "--out", path, ...args, "--vocab", `${vocab}`, "--seq", `${seq}`]);
    return path;
  }
}
