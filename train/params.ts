/**
 * The trainable tensors of a {@linkcode LlamaWeights} as one ordered list, and gradient buffers of the
 * same layout. A tied classifier is the same array as the embedding, so it appears (and is updated)
 * once.
 *
 * @module
 */
import type { LayerWeights, LlamaWeights } from "../model/config.ts";

const LAYER_KEYS = [
  "attnNorm",
  "wq",
  "wk",
  "wv",
  "wo",
  "bq",
  "bk",
  "bv",
  "ffnNorm",
  "wGate",
  "wUp",
  "wDown",
] as const satisfies readonly (keyof LayerWeights)[];

/** Every distinct parameter array, in a fixed order (checkpoints and the optimizer rely on it). */
export function parameterList(w: LlamaWeights): Float32Array[] {
  const list = [w.embedding];
  for (const l of w.layers) {
    for (const key of LAYER_KEYS) {
      const a = l[key];
      if (a) list.push(a);
    }
  }
  list.push(w.finalNorm);
  if (w.classifier !== w.embedding) list.push(w.classifier);
  return list;
}

/** Weights-shaped buffers made by `make(source)` per tensor, keeping the classifier tie. */
export function mapWeights(w: LlamaWeights, make: (a: Float32Array) => Float32Array): LlamaWeights {
  const embedding = make(w.embedding);
  return {
    config: w.config,
    embedding,
    finalNorm: make(w.finalNorm),
    classifier: w.classifier === w.embedding ? embedding : make(w.classifier),
    layers: w.layers.map((l) => {
      const out = {} as LayerWeights;
      for (const key of LAYER_KEYS) {
        const a = l[key];
        if (a) out[key] = make(a);
      }
      return out;
    }),
  };
}

/** Zeroed gradient buffers shaped like `w`. */
export function zeroGradients(w: LlamaWeights): LlamaWeights {
  return mapWeights(w, (a) => new Float32Array(a.length));
}

/** Per entry of {@linkcode parameterList}: whether weight decay applies (matrices, not norms or biases). */
export function decayMask(w: LlamaWeights): boolean[] {
  const oneD = new Set<Float32Array>([w.finalNorm]);
  for (const l of w.layers) {
    for (const a of [l.attnNorm, l.ffnNorm, l.bq, l.bk, l.bv]) if (a) oneD.add(a);
  }
  return parameterList(w).map((a) => !oneD.has(a));
}
