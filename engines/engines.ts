/**
 * The engines harness: export the model under each strategy, score the same token windows in
 * Hugging Face transformers (Python, torch CPU) and llama.cpp (node-llama-cpp's prebuilt CPU
 * binaries), and set each engine's per-token NLL beside ropekit's — inside L0 and at the target.
 *
 * An engine that is not installed is reported as skipped with the reason, never as agreeing.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Model } from "../model/model.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import { resolveEntry } from "../entries/mod.ts";
import { ExportError, exportModel } from "../export/export_model.ts";
import { llamaCppNll, type LlamaCppSetup, llamaCppVersion } from "./llama_cpp.ts";
import { runProcess, stdoutOfTwoTries } from "./run_process.ts";

/** An engine the harness drives. */
export type EngineName = "transformers" | "llama.cpp";

/** Where the engines live: a Python for transformers, Node and node-llama-cpp for llama.cpp. */
export interface EngineSetup extends LlamaCppSetup {
  /** A Python with torch and transformers (default `python3`). */
  python?: string;
}

/** Per-token agreement of one engine with ropekit on the windows of one length. */
export interface Agreement {
  length: number;
  windows: number;
  tokens: number;
  /** Mean NLL per token: ropekit's and the engine's. */
  ropekitMean: number;
  engineMean: number;
  /** max over tokens of |NLL_engine − NLL_ropekit| (nats). */
  maxAbsDiff: number;
  /** mean over tokens of |NLL_engine − NLL_ropekit| (nats). */
  meanAbsDiff: number;
  agrees: boolean;
}

/** One strategy in one engine. */
export interface EngineRow {
  strategy: string;
  engine: EngineName;
  /** "ok" (scored), "refused" (the export refused: `reason`), "skipped" (engine absent), "failed". */
  status: "ok" | "refused" | "skipped" | "failed";
  reason?: string;
  /** What the export noted it cannot carry exactly. */
  notes?: string[];
  byLength?: Agreement[];
  /** Engine version string. */
  version?: string;
}

/**
 * Tolerances (nats per token) below which an engine "agrees". transformers runs the same float32
 * math in another order; llama.cpp's CPU kernels add their own rounding, measured under the default
 * RoPE (no strategy) at ≈1e-3 (L0) to ≈2e-2 (2048) per token with mean differences below 1e-4 —
 * so a mean difference above 1e-3 is a different computation, not rounding.
 */
export const TOLERANCE: Record<EngineName, { max: number; mean: number }> = {
  transformers: { max: 1e-3, mean: 1e-5 },
  "llama.cpp": { max: 5e-2, mean: 1e-3 },
};

const HERE = dirname(fileURLToPath(import.meta.url));
const HF_SCRIPT = join(HERE, "peers", "hf_nll.py");

/** Why an engine cannot run here, or null when it can. */
export async function engineMissing(engine: EngineName, setup: EngineSetup = {}): Promise<string | null> {
  if (engine === "llama.cpp") {
    const found = await llamaCppVersion(setup);
    return "why" in found ? found.why : null;
  }
  const python = setup.python ?? "python3";
  try {
    const r = await runProcess(python, ["-c", "import torch, transformers, safetensors"], "");
    return r.code === 0 ? null : `${python} lacks torch/transformers/safetensors`;
  } catch (e) {
    return `python cannot start: ${(e as Error).message}`;
  }
}

/** Per-window NLL from an engine. */
async function engineNll(engine: EngineName, path: string, windows: number[][], setup: EngineSetup) {
  if (engine === "llama.cpp") return await llamaCppNll(path, windows, setup);
  const python = setup.python ?? "python3";
  const out = JSON.parse(
    await stdoutOfTwoTries(engine, () => runProcess(python, [HF_SCRIPT, path], JSON.stringify(windows))),
  );
  return {
    version: `transformers ${out.transformers}, torch ${out.torch}`,
    nll: (out.windows as { nll: number[] }[]).map((w) => w.nll),
  };
}

/** Options of {@linkcode runEngines}. */
export interface EnginesOptions {
  model: Model;
  /** Token windows (BOS first) of each length to score. */
  windows: number[][];
  /** The extension target every strategy is exported for. */
  targetLength: number;
  strategies: string[];
  engines: EngineName[];
  setup?: EngineSetup;
  /** Scratch folder for the exports. */
  workDir: string;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

function agreement(engine: EngineName, length: number, mine: Float32Array[], theirs: number[][]): Agreement {
  let max = 0, sumAbs = 0, sumMine = 0, sumTheirs = 0, n = 0;
  mine.forEach((m, w) => {
    for (let i = 0; i < m.length; i++) {
      const d = Math.abs(theirs[w][i] - m[i]);
      max = Math.max(max, d);
      sumAbs += d;
      sumMine += m[i];
      sumTheirs += theirs[w][i];
      n++;
    }
  });
  const meanAbsDiff = sumAbs / n;
  return {
    length,
    windows: mine.length,
    tokens: n,
    ropekitMean: sumMine / n,
    engineMean: sumTheirs / n,
    maxAbsDiff: max,
    meanAbsDiff,
    agrees: max <= TOLERANCE[engine].max && meanAbsDiff <= TOLERANCE[engine].mean,
  };
}

/** Runs every strategy through every engine; returns one row per (strategy, engine). */
export async function runEngines(opts: EnginesOptions): Promise<EngineRow[]> {
  const registry = builtinRegistry();
  const setup = opts.setup ?? {};
  const missing = new Map<EngineName, string | null>();
  for (const e of opts.engines) missing.set(e, await engineMissing(e, setup));
  const lengths = [...new Set(opts.windows.map((w) => w.length))].sort((a, b) => a - b);
  const rows: EngineRow[] = [];
  for (const name of opts.strategies) {
    // An entry as compare takes it (`yarn`, `yarn:beta_fast=16`, `longrope2@result.json`).
    const entry = await resolveEntry(name, { registry });
    // ropekit's NLL: the strategy's table for the target, resolved per window length.
    const mine = new Map<number, Float32Array[]>();
    // maxPositions stays the model's: dynamic NTK reads it as the trained length, as HF does.
    const spec = opts.model.spec;
    for (const length of lengths) {
      const table = await buildTable(
        entry.strategy,
        spec,
        { targetLength: opts.targetLength, seqLen: length },
        entry.params,
      );
      mine.set(length, (await opts.model.nll(opts.windows.filter((w) => w.length === length), table)).nll);
    }
    for (const engine of opts.engines) {
      const why = missing.get(engine);
      if (why) {
        rows.push({ strategy: name, engine, status: "skipped", reason: why });
        continue;
      }
      const to = engine === "transformers" ? "hf" : "gguf";
      const out = join(opts.workDir, `${rows.length}.${to === "hf" ? "hf" : "gguf"}`);
      let notes: string[];
      try {
        notes = (await exportModel({
          model: opts.model.source,
          loaded: opts.model,
          strategy: name,
          targetLength: opts.targetLength,
          to,
          out,
        })).notes;
      } catch (e) {
        if (!(e instanceof ExportError)) throw e;
        rows.push({ strategy: name, engine, status: "refused", reason: e.message });
        opts.progress?.(`${name} × ${engine}: refused (${e.message})`);
        continue;
      }
      try {
        const r = await engineNll(engine, out, opts.windows, setup);
        const byLength = lengths.map((length) => {
          const idx = opts.windows.flatMap((w, i) => (w.length === length ? [i] : []));
          return agreement(engine, length, mine.get(length)!, idx.map((i) => r.nll[i]));
        });
        rows.push({ strategy: name, engine, status: "ok", notes, byLength, version: r.version });
        opts.progress?.(
          `${name} × ${engine}: ` +
            byLength.map((a) =>
              `L=${a.length} max |Δ| ${a.maxAbsDiff.toExponential(2)}${a.agrees ? "" : " (differs)"}`
            )
              .join(", "),
        );
      } catch (e) {
        rows.push({ strategy: name, engine, status: "failed", reason: (e as Error).message, notes });
        opts.progress?.(`${name} × ${engine}: failed (${(e as Error).message})`);
      }
    }
  }
  return rows;
}
