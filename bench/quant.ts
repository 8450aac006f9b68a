/**
 * The quantized-file section of `deno task bench`: a random 27.8M-parameter llama (dim 512, hidden 1536,
 * 8 layers, 8 heads of 64 — every row a whole number of 256-value K-quant blocks) written as an f32 GGUF
 * with a seeded generator, then exported by ropekit (`export --quant q4_k` and `q8_0`). On each file:
 *
 * - NLL tokens/s of ropekit (kept quantized, native backend) and of llama.cpp (node-llama-cpp, 2 threads,
 *   engines/llama_cpp.ts) on the same file and the same token ids, at 2048 and 8192;
 * - validation: at 2048 the quantized NLL must equal, to 1e-4 per token, the NLL of the f32 model made
 *   from the same decoded weights (a timed pass that computes something else ends the run);
 * - peak RSS of one NLL pass (512 tokens, each file in its own process: bench/quant_rss.ts), Q4_K beside
 *   its f32 twin;
 * - llama.cpp's per-token NLL on the Q4_K file against ropekit's (engines/llama_cpp.ts), with
 *   the f32 twin as the baseline (docs/engines.md, "Quantized files").
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { exportModel } from "../export/export_model.ts";
import type { ExportQuant } from "../export/gguf_quant.ts";
import type { Backend } from "../model/backend.ts";
import type { LlamaConfig, LlamaWeights } from "../model/config.ts";
import { placeholderVocab, writeGguf } from "../model/gguf_writer.ts";
import { loadModel } from "../model/load_model.ts";
import { Model } from "../model/model.ts";
import { denseWeights } from "../model/quant_matrix.ts";
import { llamaCppNll, type LlamaCppSetup, llamaCppTokensPerSecond } from "../engines/llama_cpp.ts";
import { output } from "./peer.ts";
import { timeNll, tokens } from "./time_nll.ts";
import { BenchValidationError } from "./validate.ts";
import { baseInvFreq } from "../strategies/float32.ts";

/** The model's shape: ≥ 25M parameters, rows of 512 and 1536 values. */
export const QUANT_CONFIG: LlamaConfig = {
  architecture: "llama",
  dim: 512,
  hiddenDim: 1536,
  nLayers: 8,
  nHeads: 8,
  nKvHeads: 8,
  headDim: 64,
  vocabSize: 512,
  normEps: 1e-5,
  bosId: 1,
  eosId: 2,
};

/** One (file, length) row. */
export interface QuantRow {
  file: string;
  length: number;
  backend: string;
  tokensPerS: number;
  warmS: number;
  llamaCppTokensPerS: number | null;
  ratioLlamaCpp: number | null;
  llamaCppNote: string;
  /** At 2048: max per-token relative NLL difference from the f32 model of the decoded weights. */
  maxRelVsDecodedF32: number | null;
}

/** What the section measured. */
export interface QuantBench {
  params: number;
  rows: QuantRow[];
  memory: Record<string, { peakRssMb: number; weightMb: number; fileMb: number }> | string;
  llamaCppNll: Record<string, { maxAbs: number; meanAbs: number; tokens: number }> | string;
}

/** Seeded weights: matrices uniform ±1/√fan-in, norms near 1 (mulberry32, so files are reproducible). */
function randomWeights(c: LlamaConfig): LlamaWeights {
  let s = 20261206;
  const r = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
  const mat = (rows: number, cols: number) =>
    Float32Array.from({ length: rows * cols }, () => r() / Math.sqrt(cols));
  const norm = (n: number) => Float32Array.from({ length: n }, () => 1 + 0.1 * r());
  const q = c.nHeads * c.headDim, kv = c.nKvHeads * c.headDim;
  return {
    config: c,
    embedding: mat(c.vocabSize, c.dim),
    finalNorm: norm(c.dim),
    classifier: mat(c.vocabSize, c.dim),
    layers: Array.from({ length: c.nLayers }, () => ({
      attnNorm: norm(c.dim),
      wq: mat(q, c.dim),
      wk: mat(kv, c.dim),
      wv: mat(kv, c.dim),
      wo: mat(c.dim, q),
      ffnNorm: norm(c.dim),
      wGate: mat(c.hiddenDim, c.dim),
      wUp: mat(c.hiddenDim, c.dim),
      wDown: mat(c.dim, c.hiddenDim),
    })),
  };
}

const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** The f32 GGUF and ropekit's q4_k / q8_0 exports of it in `dir` (written once). */
async function quantFiles(dir: string): Promise<Record<"f32" | ExportQuant, string>> {
  await Deno.mkdir(dir, { recursive: true });
  const f32 = `${dir}/random28m-f32.gguf`;
  if (!exists(f32)) {
    const spec = {
      theta: 10000,
      headDim: 64,
      rotaryDim: 64,
      originalContext: 16384,
      maxPositions: 16384,
      pairing: "interleaved" as const,
    };
    await writeGguf(
      f32,
      randomWeights(QUANT_CONFIG),
      spec,
      placeholderVocab(QUANT_CONFIG.vocabSize),
      "random28M",
    );
  }
  const files = { f32 } as Record<"f32" | ExportQuant, string>;
  for (const quant of ["q4_k", "q8_0"] as const) {
    const out = `${dir}/random28m-${quant}.gguf`;
    if (!exists(out)) await exportModel({ model: f32, strategy: "default", to: "gguf", out, quant });
    files[quant] = out;
  }
  return files;
}

const params = (c: LlamaConfig) =>
  2 * c.vocabSize * c.dim +
  c.nLayers *
    (2 * c.dim * c.nHeads * c.headDim + 2 * c.dim * c.nKvHeads * c.headDim + 3 * c.dim * c.hiddenDim);

/** Max per-token |a − b| / max(|b|, 1). */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1));
  return m;
}

/** Runs the section; `lengths` [2048, 8192] (or fewer with --quick). */
export async function benchQuantized(opts: {
  backend: Backend;
  llamaCpp: LlamaCppSetup | string;
  repeats: number;
  lengths: number[];
  cacheDir: string;
  log: (s: string) => void;
}): Promise<QuantBench> {
  const { backend, llamaCpp, log } = opts;
  const files = await quantFiles(`${opts.cacheDir}quant`);
  const rows: QuantRow[] = [];
  for (const file of ["q4_k", "q8_0"] as const) {
    const model = await loadModel(files[file], { backend });
    for (const length of opts.lengths) {
      const reps = length > 4096 ? Math.min(opts.repeats, 2) : opts.repeats;
      const r = await timeNll(model, backend, length, reps);
      let check: number | null = null;
      if (length <= 2048) {
        const dense = new Model(
          denseWeights(model.weights),
          model.spec,
          model.tokenizer,
          backend,
          model.source,
        );
        check = maxRel(r.nll, (await timeNll(dense, backend, length, 0)).nll);
        if (!(check <= 1e-4)) {
          throw new BenchValidationError(
            `${file}@${length}: NLL differs from the f32 model of the same decoded weights: ${check}`,
          );
        }
      }
      let llamaTps: number | null = null, note = typeof llamaCpp === "string" ? llamaCpp : "";
      if (typeof llamaCpp !== "string") {
        try {
          const long = length > 4096;
          const lr = await llamaCppTokensPerSecond(llamaCpp, files[file], r.ids.subarray(0, length), {
            repeats: long ? 1 : reps,
            warmup: long ? 0 : 1,
            flashAttention: true, // head_dim 64: llama.cpp's faster setting (docs/performance.md)
          });
          llamaTps = lr.tokensPerS;
          note = `llama.cpp ${lr.release}, flash attention`;
        } catch (e) {
          note = (e as Error).message;
        }
      }
      const row: QuantRow = {
        file,
        length,
        backend: backend.name,
        tokensPerS: r.tokensPerS,
        warmS: r.warmS,
        llamaCppTokensPerS: llamaTps,
        ratioLlamaCpp: llamaTps ? r.tokensPerS / llamaTps : null,
        llamaCppNote: note,
        maxRelVsDecodedF32: check,
      };
      rows.push(row);
      log(
        `random28M ${file}@${length} ${backend.name}: ${r.tokensPerS.toFixed(0)} tok/s (warm ${
          r.warmS.toFixed(2)
        } s)` +
          `  llama.cpp ${
            llamaTps ? `${llamaTps.toFixed(0)} tok/s  ratio ${row.ratioLlamaCpp!.toFixed(2)}` : note
          }` +
          (check !== null ? `  NLL vs f32 of decoded weights: max rel ${check.toExponential(1)}` : ""),
      );
    }
  }
  return {
    params: params(QUANT_CONFIG),
    rows,
    memory: await memory(files, log),
    llamaCppNll: await agreement(files, llamaCpp, log),
  };
}

/** Peak RSS of one 512-token NLL pass per file, each in its own process. */
async function memory(
  files: Record<string, string>,
  log: (s: string) => void,
): Promise<QuantBench["memory"]> {
  const script = fileURLToPath(new URL("./quant_rss.ts", import.meta.url));
  const out: Record<string, { peakRssMb: number; weightMb: number; fileMb: number }> = {};
  for (const file of ["f32", "q4_k"]) {
    const r = await output(Deno.execPath(), [
      "run",
      "--allow-ffi=.build",
      "--allow-read",
      "--allow-env",
      "--allow-run=cat",
      script,
      files[file],
      "512",
    ]);
    if (!r.ok) return `memory probe failed: ${r.err.trim().split("\n").at(-1)}`;
    out[file] = {
      ...JSON.parse(r.out.trim().split("\n").at(-1)!),
      fileMb: Deno.statSync(files[file]).size / 2 ** 20,
    };
  }
  log(
    `random28M memory (512-token NLL, own process): q4_k peak RSS ${
      out.q4_k.peakRssMb.toFixed(0)
    } MB (weights ${out.q4_k.weightMb.toFixed(1)} MB, file ${out.q4_k.fileMb.toFixed(1)} MB)  f32 twin ${
      out.f32.peakRssMb.toFixed(0)
    } MB (weights ${out.f32.weightMb.toFixed(1)} MB + packed copy)  ratio ${
      (out.q4_k.peakRssMb / out.f32.peakRssMb).toFixed(2)
    }`,
  );
  return out;
}

/** llama.cpp's per-token NLL against ropekit's on the Q4_K file and (baseline) the f32 twin, 512 tokens. */
async function agreement(
  files: Record<string, string>,
  llamaCpp: LlamaCppSetup | string,
  log: (s: string) => void,
): Promise<QuantBench["llamaCppNll"]> {
  if (typeof llamaCpp === "string") return llamaCpp;
  const window = [QUANT_CONFIG.bosId, ...tokens(511, QUANT_CONFIG.vocabSize)];
  const out: Record<string, { maxAbs: number; meanAbs: number; tokens: number }> = {};
  for (const file of ["f32", "q4_k"]) {
    let theirs: number[];
    try {
      theirs = (await llamaCppNll(files[file], [window], llamaCpp)).nll[0];
    } catch (e) {
      return `llama.cpp NLL failed: ${(e as Error).message}`;
    }
    const model = await loadModel(files[file]);
    const mine = (await model.nll([window], {
      rotaryDim: 64,
      invFreq: baseInvFreq(10000, 64),
      attentionScale: 1,
    })).nll[0];
    let max = 0, sum = 0;
    theirs.forEach((v, i) => (max = Math.max(max, Math.abs(v - mine[i])), sum += Math.abs(v - mine[i])));
    out[file] = { maxAbs: max, meanAbs: sum / theirs.length, tokens: theirs.length };
  }
  log(
    `random28M llama.cpp vs ropekit NLL (512 tokens): f32 max |Δ| ${out.f32.maxAbs.toExponential(2)} mean ${
      out.f32.meanAbs.toExponential(2)
    }; q4_k max |Δ| ${out.q4_k.maxAbs.toExponential(2)} mean ${out.q4_k.meanAbs.toExponential(2)}`,
  );
  return out;
}
