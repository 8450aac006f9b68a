/**
 * Growth with context length: seconds and peak memory of one NLL window of the default model
 * (models/facts837K) at 2k, 8k, 32k and 64k tokens under YaRN (factor = length / the trained 256), and
 * tokens/s against llama.cpp on the same weights and token ids. Each length runs in a child process of
 * its own, so its peak RSS (VmHWM) is that length's alone.
 *
 *   deno run <bench permissions> bench/growth.ts                (the table: every length, llama.cpp too)
 *   deno run <bench permissions> bench/growth.ts --length N     (one child: prints one JSON line)
 *
 * {@linkcode benchGrowth} runs the children; `deno task bench` calls it (skipped by --quick).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { loadModel } from "../model/load_model.ts";
import { nativeBackend } from "../model/native_backend.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import { DEFAULT_MODEL } from "../compare/defaults.ts";
import { ggufOf } from "./llama_cpp.ts";
import { ensureLlamaCpp, type LlamaCppSetup, llamaCppTokensPerSecond } from "../engines/llama_cpp.ts";
import type { Model } from "../model/model.ts";

/** The lengths of the growth table. */
export const GROWTH_LENGTHS = [2048, 8192, 32768, 65536];

/** One length's row. */
export interface GrowthRow {
  length: number;
  backend: string;
  /** Wall time of the one window's NLL pass (warm: the second pass in the child). */
  seconds: number;
  tokensPerS: number;
  /** Peak resident memory of the child that ran it (VmHWM), MB. */
  peakRssMb: number;
  /** Mean NLL of the window (a sanity check that it computed something). */
  meanNll: number;
  llamaCppTokensPerS: number | null;
  llamaCppNote: string;
  /** The window's token ids (BOS first): what both ran. */
  ids: number[];
}

/** Seeded token ids in [3, vocab) after a BOS: timing does not depend on the text. */
function windowIds(n: number, vocab: number, bos: number): number[] {
  let s = 4242;
  const ids = [bos];
  while (ids.length < n) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    ids.push(3 + (s % (vocab - 3)));
  }
  return ids;
}

/** The YaRN table of the default model for a window of `length` tokens. */
async function yarnTable(model: Model, length: number) {
  const yarn = builtinRegistry().get("yarn");
  return await buildTable(yarn, model.spec, { targetLength: length, seqLen: length });
}

async function peakRssMb(): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${Deno.pid}/status`], stdout: "piped" }).output();
  const m = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The child: one window at `length`, a cold pass then a timed warm one; one JSON line on stdout. */
async function child(length: number): Promise<void> {
  const backend = nativeBackend() ?? new CpuBackend();
  const model = await loadModel(DEFAULT_MODEL, { backend });
  const table = await yarnTable(model, length);
  const ids = windowIds(length + 1, model.config.vocabSize, model.tokenizer.bosId);
  await model.nll([ids.slice(0, 257)], table); // packs the weights; a short pass
  const r = await model.nll([ids], table);
  const nll = r.nll[0];
  console.log(JSON.stringify({
    length,
    backend: backend.name,
    seconds: r.seconds,
    tokensPerS: length / r.seconds,
    peakRssMb: await peakRssMb(),
    meanNll: nll.reduce((a, b) => a + b, 0) / nll.length,
    ids,
  }));
}

/** Options of {@linkcode benchGrowth}. */
export interface GrowthOptions {
  lengths?: number[];
  /** llama.cpp to compare with, or why not. */
  llamaCpp: LlamaCppSetup | string;
  /** Where the default model's GGUF is written for llama.cpp. */
  ggufDir: string;
  log: (s: string) => void;
}

const SELF = fileURLToPath(import.meta.url);
const PERMISSIONS = ["--allow-ffi=.build", "--allow-read", "--allow-write", "--allow-env", "--allow-run"];

/** Runs each length in a child process, then llama.cpp on the same ids; one row per length. */
export async function benchGrowth(opts: GrowthOptions): Promise<GrowthRow[]> {
  const rows: GrowthRow[] = [];
  let gguf: string | null = null;
  for (const length of opts.lengths ?? GROWTH_LENGTHS) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, SELF, "--length", String(length)],
      cwd: fileURLToPath(new URL("../", import.meta.url)),
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`growth: the ${length}-token child failed (exit ${out.code})`);
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    let llamaTps: number | null = null;
    let note = typeof opts.llamaCpp === "string" ? opts.llamaCpp : "";
    if (typeof opts.llamaCpp !== "string") {
      try {
        if (!gguf) {
          gguf = await ggufOf(
            await loadModel(DEFAULT_MODEL, { backend: new CpuBackend() }),
            opts.ggufDir,
            "facts837K",
          );
        }
        // The same ids; llama.cpp runs the model's plain RoPE (YaRN changes the angles, not the work).
        const lr = await llamaCppTokensPerSecond(
          opts.llamaCpp,
          gguf,
          Int32Array.from(r.ids.slice(0, length)),
          {
            repeats: 1,
            warmup: 0,
            flashAttention: true,
          },
        );
        llamaTps = lr.tokensPerS;
        note = `llama.cpp ${lr.release}, flash attention, plain RoPE`;
      } catch (e) {
        note = (e as Error).message;
      }
    }
    const row: GrowthRow = {
      length,
      backend: r.backend,
      seconds: r.seconds,
      tokensPerS: r.tokensPerS,
      peakRssMb: r.peakRssMb,
      meanNll: r.meanNll,
      llamaCppTokensPerS: llamaTps,
      llamaCppNote: note,
      ids: r.ids,
    };
    opts.log(
      `growth facts837K@${length} (YaRN) ${row.backend}: ${row.seconds.toFixed(2)} s, ${
        row.tokensPerS.toFixed(0)
      } tok/s, peak RSS ${row.peakRssMb.toFixed(0)} MB, mean NLL ${row.meanNll.toFixed(3)}  llama.cpp ${
        llamaTps
          ? `${llamaTps.toFixed(0)} tok/s (ropekit / llama.cpp ${(row.tokensPerS / llamaTps).toFixed(2)})`
          : note
      }`,
    );
    rows.push(row);
  }
  return rows;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--length");
  const length = Number(Deno.args[i + 1]);
  if (Deno.args.length === 0) {
    const found = await ensureLlamaCpp({}, console.error);
    await benchGrowth({
      llamaCpp: typeof found === "string" ? found : found.setup,
      ggufDir: fileURLToPath(new URL("../.cache/bench/gguf", import.meta.url)),
      log: console.log,
    });
  } else if (i < 0 || !Number.isInteger(length) || length < 2) {
    console.error("usage: bench/growth.ts [--length N (N ≥ 2)]");
    Deno.exit(2);
  } else await child(length);
}
