/**
 * `deno task bench`: one run that reports
 *
 * 1. CPU kernel GFLOP/s (native C via FFI, the WebAssembly build of the same C, and JS) against the
 *    machine's fp32 peak, plus the WebGPU kernels of bench/kernels.ts when there is an adapter;
 * 2. NLL-evaluation tokens/s of ropekit (native and wasm backends) against the PyTorch peer on the
 *    same model and length (stories260K at 2048 and 8192, a random 25M llama at 2048), as ratios
 *    (and wasm against native), with the NLL of the same tokens checked against the peer and the JS
 *    backend;
 *    and llama.cpp (node-llama-cpp's prebuilt binaries, 2 threads, CPU) on a GGUF of the same weights
 *    and the same token ids (bench/llama_cpp.ts), with the random 25M llama also at 8192;
 *    and the growth table: one window of the default model (facts837K, YaRN) at 2k, 8k, 32k and 64k
 *    tokens, seconds and peak RSS each in a child process, against llama.cpp (bench/growth.ts);
 *    2c. quantized GGUF files (bench/quant.ts): ropekit kept quantized against llama.cpp on the same Q4_K
 *    and Q8_0 files (a random 27.8M llama exported by ropekit) and token ids at 2048 and 8192, each
 *    checked against the f32 model of the same decoded weights; peak RSS of the Q4_K file beside its f32
 *    twin; llama.cpp's NLL on the Q4_K file against ropekit's (`--no-quant` skips it, `--quick` keeps 2048);
 * 3. training tokens/s (forward + backward + AdamW, batch 1) of ropekit against the peer's `train-bench`
 *    (stories260K at 512, a random ~1M llama at 256), as ratios: bench/train.ts;
 * 4. peak memory after the 8192-token pass, and which paths were cold (first call) or unavailable.
 *
 * Validate, then benchmark: each kernel row's timed output is checked against the JS reference at the same
 * shape (bench/validate.ts), and the NLL rows against each other (wasm vs native, native vs JS); a mismatch
 * ends the run with one `error: validation failed: …` line and exit 1. `--help` lists the flags.
 *
 *   deno task build && deno task bench [--json] [--repeats 3] [--rounds 2] [--no-peer] [--no-gpu] [--quick]
 *                                      [--no-train | --train-only] [--train-repeats 10] [--no-llama-cpp]
 *                                      [--no-quant | --quant-only]
 *
 * `--quant-only` runs section 2b alone. `--train-only` runs section 3 alone; `--no-train` skips it. Training steps take 0.05–1 s, so each side
 * times `--train-repeats` steps per round (after one warm-up step) rather than `--repeats`.
 * `--quick` skips the long-context kernel rows (8k and 32k attention) and the 8192 and 25M cases. Each case runs `rounds` × (ropekit best of `repeats`, peer best
 * of `repeats`), alternating, and keeps each side's best (2 repeats at 8192). The peer is ROPEKIT_PEER_PYTHON (else
 * python3) with torch; without one its rows say why and the 25M model (written by the peer) is skipped.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CliError, parseFlags, positiveInt } from "../cli/args.ts";
import { benchKernels, MACHINE_PEAK_GFLOPS, NO_CHECK, type Result as GpuResult } from "./kernels.ts";
import {
  benchCpuKernels,
  type CpuKernelResult,
  defaultCpuKernelCases,
  measurePeakGflops,
} from "./cpu_kernels.ts";
import { BenchValidationError, describeValidation } from "./validate.ts";
import { findPeer, type Peer, peerNll, peerTokensPerSecond, randomModel } from "./peer.ts";
import { benchTraining, type TrainRow } from "./train.ts";
import { benchGrowth, type GrowthRow } from "./growth.ts";
import { benchGpu } from "./gpu.ts";
import { ggufOf } from "./llama_cpp.ts";
import { ensureLlamaCpp, type LlamaCppSetup, llamaCppTokensPerSecond } from "../engines/llama_cpp.ts";
import { loadModel } from "../model/load_model.ts";
import type { Backend } from "../model/backend.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { nativeBackend, nativeStatus, wasmBackend, wasmStatus } from "../model/native_backend.ts";
import { wasmReady } from "../kernels/wasm/lib.ts";
import { WebGpuBackend } from "../model/webgpu_backend.ts";
import { timeNll } from "./time_nll.ts";
import { benchQuantized, type QuantBench } from "./quant.ts";

const SHARED = fileURLToPath(new URL("../../shared/", import.meta.url));
const CACHE = fileURLToPath(new URL("../.cache/bench/", import.meta.url));

const USAGE = `Usage: deno task bench [flags]

CPU and WebGPU kernel GFLOP/s (each output checked against the JS reference at the timed shape), NLL
tokens/s against the PyTorch peer and llama.cpp, training tokens/s, peak memory.

  --json               print one JSON object on stdout (progress goes to stderr)
  --repeats N          timed forward passes per side and round (default 3; 2 at 8192)
  --rounds N           alternating ropekit/peer rounds per case, best kept (default 2)
  --quick              skip the long-context kernel rows and the 8192-token and 25M cases
  --no-peer            skip the PyTorch peer (ROPEKIT_PEER_PYTHON, else python3)
  --no-llama-cpp       skip the llama.cpp peer
  --no-quant           skip the quantized-GGUF section (Q4_K/Q8_0 against llama.cpp, peak RSS)
  --quant-only         run the quantized-GGUF section alone
  --no-growth          skip the growth table (the default model at 2k/8k/32k/64k, YaRN)
  --gpu                the GPU benchmark alone: WebGPU kernels (both families, vs the adapter's FMA
                       ceiling) and one NLL pass of the default model at 8192 and 32768 tokens
  --no-gpu             skip the WebGPU kernels and backend
  --no-train           skip the training section
  --train-only         run the training section alone
  --train-repeats N    timed training steps per side and round (default 10)
  -h, --help           this text

Environment: ROPEKIT_PEAK_GFLOPS (fp32 peak for the % column), ROPEKIT_PEER_PYTHON, ROPEKIT_PEER_SCRIPT.`;

/** The flags, or exit 2 with one \`error:\` line (exit 0 after printing usage for --help). */
function parseBenchArgs(argv: string[]) {
  try {
    const v = parseFlags(argv, {
      json: { type: "boolean" },
      repeats: { type: "string" },
      rounds: { type: "string" },
      "no-peer": { type: "boolean" },
      "no-gpu": { type: "boolean" },
      quick: { type: "boolean" },
      "no-train": { type: "boolean" },
      "train-only": { type: "boolean" },
      "train-repeats": { type: "string" },
      "no-llama-cpp": { type: "boolean" },
      "no-quant": { type: "boolean" },
      "quant-only": { type: "boolean" },
      "no-growth": { type: "boolean" },
      gpu: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (v.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    if (v["train-only"] && v["no-train"]) {
      throw new CliError("--train-only and --no-train exclude each other");
    }
    if (v["quant-only"] && (v["no-quant"] || v["train-only"])) {
      throw new CliError("--quant-only excludes --no-quant and --train-only");
    }
    const flag = (name: keyof typeof v) => v[name] === true;
    return {
      json: flag("json"),
      quick: flag("quick"),
      noPeer: flag("no-peer"),
      noGpu: flag("no-gpu"),
      noTrain: flag("no-train"),
      trainOnly: flag("train-only"),
      noLlamaCpp: flag("no-llama-cpp"),
      noQuant: flag("no-quant"),
      quantOnly: flag("quant-only"),
      noGrowth: flag("no-growth"),
      gpu: flag("gpu"),
      repeats: positiveInt("--repeats", v.repeats) ?? 3,
      rounds: positiveInt("--rounds", v.rounds) ?? 2,
      trainRepeats: positiveInt("--train-repeats", v["train-repeats"]) ?? 10,
    };
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    console.error(`error: ${e.message} (see --help)`);
    Deno.exit(2);
  }
}

const args = parseBenchArgs(Deno.args);
if (args.gpu) await gpuOnly();
const { repeats, rounds } = args;
const { trainOnly, quantOnly } = args;
const peakFromEnv = Deno.env.get("ROPEKIT_PEAK_GFLOPS");
const log = (s: string) => args.json ? console.error(s) : console.log(s);

/** `--gpu`: the prepared GPU benchmark (bench/gpu.ts) alone, then exit. */
async function gpuOnly(): Promise<never> {
  const log = (s: string) => args.json ? console.error(s) : console.log(s);
  try {
    const r = await benchGpu(log);
    for (const k of r.kernels) {
      log(
        `webgpu ${k.name.padEnd(20)} ${k.shape.padEnd(32)} warm ${k.warmMs.toFixed(1).padStart(8)} ms  ${
          k.gflops.toFixed(1).padStart(8)
        } GFLOP/s  ${k.pctCeiling?.toFixed(1) ?? "-"}% of the FMA ceiling${k.chosen ? " (chosen)" : ""}  ${
          describeValidation(k.validation, NO_CHECK)
        }`,
      );
    }
    if (args.json) console.log(JSON.stringify({ gpu: r }, null, 2));
  } catch (e) {
    if (e instanceof BenchValidationError) console.error(`error: validation failed: ${e.message}`);
    else console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
  Deno.exit(0);
}

/** Max per-token |a − b| / max(|b|, 1 nat), and the relative difference of the sums. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>) {
  let perToken = 0, sa = 0, sb = 0;
  for (let i = 0; i < b.length; i++) {
    perToken = Math.max(perToken, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1));
    sa += a[i];
    sb += b[i];
  }
  return { maxRelPerToken: perToken, sumRel: Math.abs(sa / sb - 1) };
}

/** Largest per-token relative NLL difference accepted between two CPU backends on the same tokens. */
const NLL_TOLERANCE = 1e-4;

/** A timed pass's NLL checked against another backend's on the same tokens. */
interface NllValidation {
  reference: string;
  maxRelPerToken: number;
  sumRel: number;
  tolerance: number;
}

/** Compares the NLL of the timed pass `label` with `reference`'s; past NLL_TOLERANCE the run ends. */
function checkNll(
  label: string,
  nll: ArrayLike<number>,
  reference: string,
  want: ArrayLike<number>,
): NllValidation {
  const c = compare(nll, want);
  if (!(c.maxRelPerToken <= NLL_TOLERANCE)) {
    exitOnMismatch(
      new BenchValidationError(
        `${label}: NLL differs from ${reference} on the same tokens: max per-token rel ${
          c.maxRelPerToken.toExponential(2)
        } > ${NLL_TOLERANCE}`,
      ),
    );
  }
  return { reference, ...c, tolerance: NLL_TOLERANCE };
}

/**
 * Peak resident memory of this process so far (Linux VmHWM), in MB, read by a child `cat` (Deno wants
 * --allow-all to read /proc/self directly); the current RSS where that fails.
 */
async function peakRssMb(): Promise<{ mb: number; what: string }> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${Deno.pid}/status`], stdout: "piped" })
      .output();
    const m = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
    if (m) return { mb: Number(m[1]) / 1024, what: "peak RSS (VmHWM)" };
  } catch {
    // fall through
  }
  return { mb: Deno.memoryUsage().rss / 2 ** 20, what: "current RSS" };
}

const cold: string[] = [];
const native = nativeBackend();
const backend: Backend = native ?? new CpuBackend();
// The peak is measured in this run (unless ROPEKIT_PEAK_GFLOPS fixes it), and again around each CPU
// kernel row: on a machine shared with other work, each row is compared with what the cores gave then.
const measuredPeak = peakFromEnv || trainOnly ? null : measurePeakGflops();
const peak = peakFromEnv ? Number(peakFromEnv) : measuredPeak ?? MACHINE_PEAK_GFLOPS;
const peakSource = peakFromEnv
  ? "ROPEKIT_PEAK_GFLOPS"
  : measuredPeak
  ? "measured: register-only FMAs on the kernels' widest vectors (16 floats with AVX-512, else 8), every thread; again around each CPU kernel row"
  : "documented constant: no native library to measure it";
log(`peak ${peak.toFixed(0)} GFLOP/s (fp32, ${peakSource})`);
log(`backend: ${backend.name} — ${nativeStatus()}`);
if (!native) cold.push(`native backend unavailable: ${nativeStatus()}; NLL rows ran on the JS backend`);
const wasm = wasmBackend();
log(`wasm: ${wasmStatus()}`);
if (wasm) {
  await wasmReady(); // every worker started, so the wasm rows use every thread
  cold.push("wasm cold rows include V8's first (baseline-compiled) run of the module's functions");
} else cold.push(`wasm backend unavailable: ${wasmStatus()}`);

/** A timed output that disagrees with its reference ends the run: one `error:` line, exit 1. */
function exitOnMismatch(e: unknown): never {
  if (!(e instanceof BenchValidationError)) throw e;
  console.error(`error: validation failed: ${e.message}`);
  Deno.exit(1);
}

// 1. Kernels.
let cpuKernels: CpuKernelResult[] = [];
try {
  if (!trainOnly && !quantOnly) {
    cpuKernels = benchCpuKernels(peak, {
      cases: defaultCpuKernelCases(args.quick),
      peak: measuredPeak ? () => measurePeakGflops(2) ?? peak : undefined,
    });
  }
} catch (e) {
  exitOnMismatch(e);
}
let gpuKernels: GpuResult[] = [];
if (trainOnly || quantOnly) {
  cold.push(`kernels and model NLL rows skipped (--${trainOnly ? "train" : "quant"}-only)`);
} else if (args.noGpu) cold.push("WebGPU kernels skipped (--no-gpu)");
else {
  try {
    gpuKernels = await benchKernels({ reps: 2 });
  } catch (e) {
    if (e instanceof BenchValidationError) exitOnMismatch(e);
    cold.push(`WebGPU kernels not run: ${(e as Error).message}`);
  }
}
for (const r of cpuKernels) {
  log(
    `${r.path.padEnd(6)} ${r.name.padEnd(9)} ${r.shape.padEnd(20)} cold ${
      r.coldMs.toFixed(1).padStart(7)
    } ms  warm ${r.warmMs.toFixed(1).padStart(7)} ms  ${r.gflops.toFixed(1).padStart(6)} GFLOP/s  ${
      r.pctPeak.toFixed(1).padStart(5)
    }% of peak ${r.peakGflops.toFixed(0)}  ${describeValidation(r.validation)}`,
  );
}
for (const r of gpuKernels) {
  log(
    `webgpu ${r.name.padEnd(19)} ${r.shape.padEnd(20)} cold ${r.coldMs.toFixed(1).padStart(7)} ms  warm ${
      r.warmMs.toFixed(1).padStart(7)
    } ms  ${r.gflops.toFixed(1).padStart(6)} GFLOP/s  ${r.pctPeak.toFixed(1).padStart(5)}% of peak  ${
      r.pctCeiling === null
        ? ""
        : `${r.pctCeiling.toFixed(1)}% of the FMA ceiling${r.chosen ? " (chosen)" : ""}  `
    }${describeValidation(r.validation, NO_CHECK)} (${r.adapter})`,
  );
}

// 2. NLL tokens/s against the peer.
const peer: Peer | string = args.noPeer || quantOnly ? "skipped (--no-peer)" : await findPeer();
if (typeof peer === "string") log(`peer: ${peer}`);
else log(`peer: ${peer.python} (torch ${peer.torch})`);
const foundLlamaCpp = args.noLlamaCpp || trainOnly
  ? "skipped (--no-llama-cpp)"
  : await ensureLlamaCpp({}, log);
const llamaCpp: LlamaCppSetup | string = typeof foundLlamaCpp === "string"
  ? foundLlamaCpp
  : foundLlamaCpp.setup;
log(
  `llama.cpp peer: ${
    typeof foundLlamaCpp === "string"
      ? foundLlamaCpp
      : `node-llama-cpp ${foundLlamaCpp.version} in ${foundLlamaCpp.setup.nodeModules}`
  }`,
);
const stories = `${SHARED}models/stories260K/stories260K.bin`;
const cases: { label: string; path: string | null; length: number; why?: string }[] = [
  { label: "stories260K", path: stories, length: 2048 },
  { label: "stories260K", path: stories, length: 8192 },
  { label: "random25M", path: null, length: 2048 },
  { label: "random25M", path: null, length: 8192 },
];
if (args.quick) cases.splice(1);
if (trainOnly || quantOnly) cases.splice(0);
const rows = [];
let accuracy: Record<string, unknown> = {};
let memory: Record<string, unknown> = {};
for (const c of cases) {
  let path = c.path;
  if (path === null) {
    if (typeof peer === "string") {
      log(`${c.label}@${c.length}: skipped (the random model is written by the peer: ${peer})`);
      continue;
    }
    path = await randomModel(peer, CACHE);
  }
  try {
    Deno.statSync(path);
  } catch {
    log(`${c.label}@${c.length}: skipped (${path} not found)`);
    continue;
  }
  const model = await loadModel(path, { backend });
  const reps = c.length > 4096 ? Math.min(repeats, 2) : repeats;
  // Rounds alternate ropekit and the peer and keep each one's best, so load from other processes
  // on a shared machine hits both sides alike (it moved single runs by 2× while this was written).
  let r: Awaited<ReturnType<typeof timeNll>> | undefined;
  let w: Awaited<ReturnType<typeof timeNll>> | undefined;
  let peerTps: number | null = null, peerNote = typeof peer === "string" ? peer : "";
  for (let round = 0; round < rounds; round++) {
    const mine = await timeNll(model, backend, c.length, reps);
    if (!r || mine.warmS < r.warmS) r = { ...mine, coldS: r?.coldS ?? mine.coldS };
    if (wasm && wasm !== backend) {
      const onWasm = await timeNll(model, wasm, c.length, reps);
      if (!w || onWasm.warmS < w.warmS) w = { ...onWasm, coldS: w?.coldS ?? onWasm.coldS };
    }
    if (c.label === "stories260K" && c.length === 8192 && round === 0) {
      const tt = (c.length * c.length * 4 * model.config.nHeads) / 2 ** 20;
      memory = { afterLength: c.length, ...(await peakRssMb()), ttScoresMb: tt };
    }
    if (typeof peer === "string") continue;
    try {
      const p = (await peerTokensPerSecond(peer, path, c.length, reps)).tokensPerS;
      peerTps = Math.max(peerTps ?? 0, p);
    } catch (e) {
      peerNote = (e as Error).message;
      break;
    }
  }
  if (!r) continue;
  // llama.cpp on a GGUF of the same weights and the same token ids (the `length` positions ropekit ran).
  let llamaTps: number | null = null, llamaNote = typeof llamaCpp === "string" ? llamaCpp : "";
  if (typeof llamaCpp !== "string") {
    try {
      const long = c.length > 4096;
      const lr = await llamaCppTokensPerSecond(
        llamaCpp,
        await ggufOf(model, `${CACHE}gguf`, c.label),
        r.ids.subarray(0, c.length),
        // Flash attention: 2.1× faster at head_dim 64, 4.6× slower at 8 (measured, 2048 tokens).
        { repeats: long ? 1 : repeats, warmup: long ? 0 : 1, flashAttention: model.config.headDim >= 32 },
      );
      llamaTps = lr.tokensPerS;
      llamaNote = `llama.cpp ${lr.release}${lr.flashAttention ? ", flash attention" : ""}`;
    } catch (e) {
      llamaNote = (e as Error).message;
    }
  }
  if (typeof peer !== "string" && c.label === "stories260K" && c.length === 2048) {
    try {
      accuracy = { ...accuracy, vsPeer: compare(r.nll, await peerNll(peer, path, r.ids)) };
    } catch (e) {
      accuracy = { ...accuracy, vsPeer: (e as Error).message };
    }
  }
  const row = {
    validation: null as NllValidation | null,
    model: c.label,
    length: c.length,
    backend: backend.name,
    tokensPerS: r.tokensPerS,
    warmS: r.warmS,
    coldS: r.coldS,
    peerTokensPerS: peerTps,
    ratio: peerTps ? r.tokensPerS / peerTps : null,
    peerNote,
    llamaCppTokensPerS: llamaTps,
    ratioLlamaCpp: llamaTps ? r.tokensPerS / llamaTps : null,
    llamaCppNote: llamaNote,
  };
  rows.push(row);
  log(
    `${c.label}@${c.length} ${backend.name}: ${r.tokensPerS.toFixed(0)} tok/s (warm ${
      r.warmS.toFixed(2)
    } s, cold ${r.coldS.toFixed(2)} s)  peer ${
      peerTps ? peerTps.toFixed(0) + " tok/s  ratio " + row.ratio!.toFixed(2) : peerNote
    }`,
  );
  log(
    `${c.label}@${c.length} llama.cpp: ${
      llamaTps
        ? `${llamaTps.toFixed(0)} tok/s (${llamaNote})  ropekit ${backend.name} / llama.cpp ${
          row.ratioLlamaCpp!.toFixed(2)
        }`
        : llamaNote
    }`,
  );
  if (w) {
    const wasmRow = {
      ...row,
      backend: wasm!.name,
      tokensPerS: w.tokensPerS,
      warmS: w.warmS,
      coldS: w.coldS,
      ratio: peerTps ? w.tokensPerS / peerTps : null,
      ratioLlamaCpp: llamaTps ? w.tokensPerS / llamaTps : null,
      vsNative: w.tokensPerS / r.tokensPerS,
      validation: checkNll(`${c.label}@${c.length} ${wasm!.name}`, w.nll, `${backend.name} NLL`, r.nll),
    };
    rows.push(wasmRow);
    log(
      `${c.label}@${c.length} wasm: ${w.tokensPerS.toFixed(0)} tok/s (warm ${w.warmS.toFixed(2)} s, cold ${
        w.coldS.toFixed(2)
      } s)  ${(100 * wasmRow.vsNative).toFixed(0)}% of ${backend.name}${
        peerTps ? `  ratio to peer ${wasmRow.ratio!.toFixed(2)}` : ""
      }  NLL checked: max per-token rel ${
        wasmRow.validation.maxRelPerToken.toExponential(1)
      } vs ${backend.name}`,
    );
  }
  if (c.label === "stories260K" && c.length === 2048) {
    // The JS backend on the same tokens: its speed, and the native NLL against it.
    const cpu = new CpuBackend();
    const js = await timeNll(model, cpu, c.length, 1);
    accuracy = { ...accuracy, nativeVsJs: native ? compare(r.nll, js.nll) : "native not loaded" };
    if (native) {
      row.validation = checkNll(`${c.label}@${c.length} ${backend.name}`, r.nll, "cpu (JS) NLL", js.nll);
      log(
        `${c.label}@${c.length} ${backend.name}: NLL checked: max per-token rel ${
          row.validation.maxRelPerToken.toExponential(1)
        } vs cpu (JS)`,
      );
    }
    if (w) accuracy = { ...accuracy, wasmVsJs: compare(w.nll, js.nll) };
    rows.push({
      ...row,
      backend: "cpu (JS)",
      validation: null, // the reference of the NLL checks
      tokensPerS: js.tokensPerS,
      warmS: js.warmS,
      coldS: js.coldS,
      ratio: peerTps ? js.tokensPerS / peerTps : null,
      ratioLlamaCpp: llamaTps ? js.tokensPerS / llamaTps : null,
    });
    log(
      `${c.label}@${c.length} cpu (JS): ${js.tokensPerS.toFixed(0)} tok/s${
        peerTps ? `  ratio ${(js.tokensPerS / peerTps).toFixed(2)}` : ""
      }`,
    );
    // The WebGPU backend (one submission per forward pass) on the same tokens, when an adapter exists.
    const gpu = args.noGpu ? null : await WebGpuBackend.create();
    if (gpu) {
      const g = await timeNll(model, gpu, c.length, 1);
      accuracy = { ...accuracy, webgpuVsJs: compare(g.nll, js.nll) };
      rows.push({
        ...row,
        backend: gpu.name,
        validation: null, // compared in accuracy.webgpuVsJs, not enforced
        tokensPerS: g.tokensPerS,
        warmS: g.warmS,
        coldS: g.coldS,
        ratio: peerTps ? g.tokensPerS / peerTps : null,
        ratioLlamaCpp: llamaTps ? g.tokensPerS / llamaTps : null,
      });
      log(
        `${c.label}@${c.length} ${gpu.name}: ${g.tokensPerS.toFixed(0)} tok/s (cold ${
          g.coldS.toFixed(2)
        } s incl. ` +
          `shader compiles)${peerTps ? `  ratio ${(g.tokensPerS / peerTps).toFixed(2)}` : ""}`,
      );
    }
  }
}

// 2b. Growth: one window of the default model at 2k … 64k (YaRN), seconds, peak RSS, llama.cpp.
let growth: GrowthRow[] = [];
if (args.quick || args.noGrowth || trainOnly || quantOnly) {
  cold.push("growth table skipped (--quick, --no-growth, --train-only or --quant-only)");
} else growth = await benchGrowth({ llamaCpp, ggufDir: `${CACHE}gguf`, log });
// 2c. Quantized GGUF files (bench/quant.ts): Q4_K and Q8_0 against llama.cpp on the same file, peak RSS.
let quantized: QuantBench | string = "skipped (--no-quant)";
if (trainOnly) quantized = "skipped (--train-only)";
else if (!args.noQuant) {
  try {
    quantized = await benchQuantized({
      backend,
      llamaCpp,
      repeats,
      lengths: args.quick ? [2048] : [2048, 8192],
      cacheDir: CACHE,
      log,
    });
  } catch (e) {
    exitOnMismatch(e);
  }
}

// 3. Training tokens/s against the peer (bench/train.ts).
let train: TrainRow[] = [];
if (args.noTrain || quantOnly) cold.push("training skipped");
else {
  train = await benchTraining({ peer, repeats: args.trainRepeats, rounds, cacheDir: CACHE, log });
  cold.push("training: the cold column is ropekit's first step (the peer's warm-up step is untimed)");
}

if (!trainOnly) {
  cold.push("first forward pass per model (cold column) includes packing the weights for the native matmul");
  log(`accuracy (NLL, same tokens): ${JSON.stringify(accuracy)}`);
}
if (memory.mb !== undefined) {
  const mb = (x: unknown) => Number(x).toFixed(0);
  log(
    `memory: ${memory.what} ${mb(memory.mb)} MB after the 8192 pass (one T×T score buffer per head: ${
      mb(memory.ttScoresMb)
    } MB)`,
  );
}
for (const c of cold) log(`cold/unavailable: ${c}`);
if (args.json) {
  console.log(JSON.stringify(
    {
      peakGflops: peak,
      peakSource,
      backend: backend.name,
      nativeStatus: nativeStatus(),
      wasmStatus: wasmStatus(),
      cpuKernels,
      gpuKernels,
      nll: rows,
      quantized,
      growth: growth.map(({ ids: _, ...row }) => row),
      train,
      accuracy,
      memory,
      cold,
    },
    null,
    2,
  ));
}
