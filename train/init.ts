/** Random initial weights for training from scratch. @module */
import type { LlamaConfig, LlamaWeights } from "../model/config.ts";
import { createRng, type Rng } from "../util/random.ts";

/** Options of {@linkcode initWeights}. */
export interface InitOptions {
  seed: number;
  /** Share the embedding and classifier (llama2.c's default). Default true. */
  tied?: boolean;
  /** Standard deviation of the matrices. Default 0.02 (GPT-2, llama2.c's train.py). */
  std?: number;
}

/** Normal(0, std²) samples by Box–Muller from a seeded stream. */
function normal(n: number, rng: Rng, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())) * std, phi = 2 * Math.PI * rng.next();
    a[i] = r * Math.cos(phi);
    if (i + 1 < n) a[i + 1] = r * Math.sin(phi);
  }
  return a;
}

/**
 * Norm weights 1, matrices N(0, std²); the projections that write into the residual stream (wo, wDown)
 * get std/√(2·nLayers) so the residual's variance does not grow with depth (GPT-2's scheme).
 */
export function initWeights(c: LlamaConfig, opts: InitOptions): LlamaWeights {
  const rng = createRng(opts.seed);
  const std = opts.std ?? 0.02, residualStd = std / Math.sqrt(2 * c.nLayers);
  const qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  const ones = (n: number) => new Float32Array(n).fill(1);
  const embedding = normal(c.vocabSize * c.dim, rng, std);
  const layers = Array.from({ length: c.nLayers }, () => ({
    attnNorm: ones(c.dim),
    wq: normal(qDim * c.dim, rng, std),
    wk: normal(kvDim * c.dim, rng, std),
    wv: normal(kvDim * c.dim, rng, std),
    wo: normal(c.dim * qDim, rng, residualStd),
    ffnNorm: ones(c.dim),
    wGate: normal(c.hiddenDim * c.dim, rng, std),
    wUp: normal(c.hiddenDim * c.dim, rng, std),
    wDown: normal(c.dim * c.hiddenDim, rng, residualStd),
  }));
  const classifier = (opts.tied ?? true) ? embedding : normal(c.vocabSize * c.dim, rng, std);
  return { config: c, embedding, layers, finalNorm: ones(c.dim), classifier };
}
