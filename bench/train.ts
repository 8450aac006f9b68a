/**
 * Training throughput: tokens/s of one ropekit training step against the PyTorch peer's
 * `torch_llama.py train-bench` on the same model file and the same token count.
 *
 * One step on both sides is the same work: one window of `length` + 1 tokens (batch 1, `length`
 * predictions), forward, mean next-token cross-entropy, backward into every weight, and one AdamW
 * update (lr 1e-4, β 0.9/0.999, ε 1e-8, weight decay 0.01: torch's defaults; no clipping, which torch
 * does not do either). ropekit runs it through its public training API, {@linkcode Trainer.trainStep}
 * (`forwardBackward` + `AdamW`), so whatever engine those pick (native C kernels when built, else JS) is
 * what is timed; rows name it. Both sides take one untimed warm-up step, then the best of `repeats` steps
 * (`--train-repeats`, default 10: steps are short); tokens/s = length / best step. Token ids are seeded
 * random ids in [3, vocab) on both sides (different generators, same count).
 *
 * Rounds alternate ropekit and the peer (a fresh peer process per round) and keep each side's best, as
 * the NLL benchmark does, so load from other processes on a shared machine hits both alike.
 *
 * Cases: stories260K at 512 (skipped when ../shared is absent) and a random ~1M llama (dim 128, hidden
 * 352, 4 layers, 4 heads, vocab 1024) at 256, written by the peer's `make-random` and cached in
 * `.cache/bench/`. Without a peer that file is used when it is cached, else ropekit trains
 * `initWeights` of the same shape (the row says so) and the peer columns say why it was skipped.
 *
 * Run as part of `deno task bench` (`--train-only` for this section alone, `--no-train` to skip it):
 *
 *   deno task build && deno task bench --train-only [--rounds 2] [--train-repeats 10] [--no-peer] [--json]
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { LlamaConfig, LlamaWeights } from "../model/config.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { loadModel } from "../model/load_model.ts";
import { ropeApplyFor } from "../model/model.ts";
import { denseWeights } from "../model/quant_matrix.ts";
import { baseInvFreq } from "../strategies/float32.ts";
import { validateTable } from "../strategies/table.ts";
import type { RopeSpec } from "../strategies/types.ts";
import { llama2cSpec } from "../train/configs.ts";
import { DocumentStream } from "../train/data.ts";
import { initWeights } from "../train/init.ts";
import { trainOps } from "../train/ops.ts";
import { mapWeights, parameterList } from "../train/params.ts";
import type { TrainOptions } from "../train/options.ts";
import { Trainer } from "../train/trainer.ts";
import {
  type Peer,
  peerTrainTokensPerSecond,
  randomModel,
  randomModelPath,
  type RandomShape,
} from "./peer.ts";

const SHARED = fileURLToPath(new URL("../../shared/", import.meta.url));

/** The random ~1M llama of the training benchmark (tied embedding, as make-random writes it). */
export const RANDOM_1M: RandomShape = {
  file: "random1m-d128-h352-l4-v1024.bin",
  dim: 128,
  hidden: 352,
  layers: 4,
  heads: 4,
  kvHeads: 4,
  vocab: 1024,
  seq: 256,
};

/** One model and window length to time. */
export interface TrainCase {
  label: string;
  /** Predicted tokens per step (the window holds length + 1 tokens). */
  length: number;
  /** A llama2.c `.bin` both sides train on. */
  path?: string;
  /** Else a random model of this shape (see the module doc for where its weights come from). */
  random?: RandomShape;
}

/** The default cases: stories260K at 512, the random ~1M model at 256. */
export function defaultTrainCases(): TrainCase[] {
  return [
    { label: "stories260K", path: `${SHARED}models/stories260K/stories260K.bin`, length: 512 },
    { label: "random1M", random: RANDOM_1M, length: 256 },
  ];
}

/** One measured case. */
export interface TrainRow {
  model: string;
  length: number;
  /** Windows per step (the peer's train-bench uses 1). */
  batch: number;
  /** The engine `forwardBackward` picked by default: "native" when the C library is loaded, else "js". */
  engine: string;
  /** Distinct trainable parameters (a tied classifier counted once). */
  params: number;
  /** The model file both sides trained on, or "initWeights (…)" when ropekit had no file. */
  weights: string;
  /** ropekit: length / best warm step. */
  tokensPerS: number;
  warmS: number;
  /** The first step (untimed on the peer's side). */
  coldS: number;
  /** Timed steps per side and round, and rounds: each side's best step of repeats × rounds. */
  repeats: number;
  rounds: number;
  /** Mean loss of ropekit's last step (finite when the step ran right). */
  loss: number;
  peerTokensPerS: number | null;
  peerThreads: number | null;
  ratio: number | null;
  peerNote: string;
}

/** Options of {@linkcode benchTraining}. */
export interface TrainBenchOptions {
  /** A Python with torch, or why there is none (the peer columns then carry it). */
  peer: Peer | string;
  /** Timed steps per side and round (after one warm-up step). Default 10 (the peer's own default is 3). */
  repeats?: number;
  /** Alternating ropekit/peer rounds; each side keeps its best. Default 2. */
  rounds?: number;
  /** Where random models are cached. Default `.cache/bench/`. */
  cacheDir?: string;
  /** Default {@linkcode defaultTrainCases}. */
  cases?: TrainCase[];
  /** Progress and result lines. Default console.log. */
  log?: (line: string) => void;
}

/** Seeded token ids in [3, vocab) (ids 0–2 are special), one long document per index. */
function randomDocument(vocab: number, index: number, length = 1 << 16): Int32Array {
  let s = (12345 + Math.imul(index, 0x9e3779b9)) >>> 0;
  return Int32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 3 + (s % (vocab - 3));
  });
}

/** The peer's step as ropekit options: batch 1, no accumulation, constant lr 1e-4, torch's AdamW defaults. */
export function peerMatchedOptions(length: number): TrainOptions {
  return {
    seqLen: length,
    batchSize: 1,
    accumulation: 1,
    schedule: { peakLr: 1e-4, warmupSteps: 0, totalSteps: 1, minLr: 1e-4 },
    adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: Infinity },
    documentMasks: false,
  };
}

/**
 * One warm-up step, then the best of `repeats` training steps of a fresh {@linkcode Trainer} over a
 * copy of `weights` (so rounds start from the same weights and optimizer state).
 */
export async function timeTrainSteps(weights: LlamaWeights, spec: RopeSpec, length: number, repeats: number) {
  const table = validateTable({
    rotaryDim: spec.rotaryDim,
    invFreq: baseInvFreq(spec.theta, spec.rotaryDim),
    attentionScale: 1,
  }, spec);
  const rope = ropeApplyFor(spec, table, length).apply;
  const vocab = weights.config.vocabSize;
  const data = new DocumentStream((i) => randomDocument(vocab, i));
  const trainer = new Trainer(mapWeights(weights, (a) => a.slice()), data, rope, peerMatchedOptions(length));
  let t0 = performance.now();
  let last = await trainer.trainStep();
  const coldS = (performance.now() - t0) / 1000;
  let warmS = Infinity;
  for (let r = 0; r < repeats; r++) {
    t0 = performance.now();
    last = await trainer.trainStep();
    warmS = Math.min(warmS, (performance.now() - t0) / 1000);
  }
  return { coldS, warmS, tokensPerS: length / warmS, loss: last.loss };
}

function configOf(s: RandomShape): LlamaConfig {
  return {
    architecture: "llama2c",
    dim: s.dim,
    hiddenDim: s.hidden,
    nLayers: s.layers,
    nHeads: s.heads,
    nKvHeads: s.kvHeads,
    headDim: s.dim / s.heads,
    vocabSize: s.vocab,
    normEps: 1e-5,
    bosId: 1,
    eosId: 2,
  };
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The weights of a case and the file they came from; a string says why the case is skipped. */
async function caseWeights(
  c: TrainCase,
  peer: Peer | string,
  cacheDir: string,
): Promise<{ weights: LlamaWeights; spec: RopeSpec; path: string | null } | string> {
  let path = c.path ?? null;
  if (path === null && c.random) {
    const cached = randomModelPath(cacheDir, c.random);
    if (typeof peer !== "string") path = await randomModel(peer, cacheDir, c.random);
    else if (exists(cached)) path = cached;
    else {
      return {
        weights: initWeights(configOf(c.random), { seed: 0, tied: true }),
        spec: llama2cSpec(c.random.dim / c.random.heads, c.random.seq),
        path: null,
      };
    }
  }
  if (path === null) return "no model file or random shape given";
  if (!exists(path)) {
    const shared = path.startsWith(SHARED) && !exists(`${SHARED}models/README.md`);
    return `${path} not found${shared ? ` (${SHARED} is absent)` : ""}`;
  }
  const model = await loadModel(path, { backend: new CpuBackend() });
  return { weights: denseWeights(model.weights), spec: model.spec, path };
}

const k = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}K`;

/** Times every case against the peer; returns one row per case that ran. */
export async function benchTraining(opts: TrainBenchOptions): Promise<TrainRow[]> {
  const { peer, repeats = 10, rounds = 2 } = opts;
  const cacheDir = opts.cacheDir ?? fileURLToPath(new URL("../.cache/bench/", import.meta.url));
  const log = opts.log ?? console.log;
  const rows: TrainRow[] = [];
  for (const c of opts.cases ?? defaultTrainCases()) {
    const name = `train ${c.label}@${c.length}`;
    let loaded;
    try {
      loaded = await caseWeights(c, peer, cacheDir);
    } catch (e) {
      loaded = (e as Error).message;
    }
    if (typeof loaded === "string") {
      log(`${name}: skipped (${loaded})`);
      continue;
    }
    const { weights, spec, path } = loaded;
    let best: Awaited<ReturnType<typeof timeTrainSteps>> | undefined;
    let peerTps: number | null = null, peerThreads: number | null = null;
    let peerNote = typeof peer !== "string" ? "" : peer.startsWith("skipped") ? peer : `skipped: ${peer}`;
    if (typeof peer !== "string" && path === null) peerNote = "skipped: no model file";
    for (let round = 0; round < rounds; round++) {
      const mine = await timeTrainSteps(weights, spec, c.length, repeats);
      if (!best || mine.warmS < best.warmS) best = { ...mine, coldS: best?.coldS ?? mine.coldS };
      if (typeof peer === "string" || path === null || peerNote) continue;
      try {
        const p = await peerTrainTokensPerSecond(peer, path, c.length, repeats);
        peerTps = Math.max(peerTps ?? 0, p.tokensPerS);
        peerThreads = p.threads;
      } catch (e) {
        peerNote = (e as Error).message;
      }
    }
    if (!best) continue;
    const params = parameterList(weights).reduce((n, a) => n + a.length, 0);
    const row: TrainRow = {
      model: c.label,
      length: c.length,
      batch: 1,
      engine: trainOps().engine,
      params,
      weights: path ?? `initWeights (seed 0, no ${c.random?.file} cached)`,
      tokensPerS: best.tokensPerS,
      warmS: best.warmS,
      coldS: best.coldS,
      repeats,
      rounds,
      loss: best.loss,
      peerTokensPerS: peerTps,
      peerThreads,
      ratio: peerTps ? best.tokensPerS / peerTps : null,
      peerNote,
    };
    rows.push(row);
    log(
      `${name} ${row.engine} (${k(params)} params, batch 1): ${row.tokensPerS.toFixed(0)} tok/s (warm ${
        row.warmS.toFixed(2)
      } s, cold ${row.coldS.toFixed(2)} s)  peer ${
        peerTps
          ? `${peerTps.toFixed(0)} tok/s (${peerThreads} threads)  ratio ${row.ratio!.toFixed(2)}`
          : peerNote
      }${path ? "" : "  [ropekit on initWeights of the same shape]"}`,
    );
  }
  return rows;
}
