/**
 * The timed NLL pass of `deno task bench`: seeded token ids and the best warm time of a backend's
 * forward pass over them (shared by the model rows of bench/main.ts and the quantized rows of bench/quant.ts).
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import { ropeApplyFor } from "../model/model.ts";
import type { Backend } from "../model/backend.ts";
import { baseInvFreq } from "../strategies/float32.ts";
import { validateTable } from "../strategies/table.ts";

/** Seeded token ids in [3, vocab), like the peer's bench (ids 0–2 are special). */
export function tokens(n: number, vocab: number): Int32Array {
  let s = 12345;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 3 + (s % (vocab - 3));
  });
}

/** NLL of length+1 tokens (a forward pass over `length` positions, as the peer's bench runs). */
export async function timeNll(model: Model, backend: Backend, length: number, reps: number) {
  const ids = tokens(length + 1, model.config.vocabSize);
  const table = validateTable({
    rotaryDim: model.spec.rotaryDim,
    invFreq: baseInvFreq(model.spec.theta, model.spec.rotaryDim),
    attentionScale: 1,
  }, model.spec);
  const { apply } = ropeApplyFor(model.spec, table, ids.length);
  let t0 = performance.now();
  const nll = await backend.forwardNll(model.weights, ids, apply);
  const coldS = (performance.now() - t0) / 1000;
  let warmS = Infinity;
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    await backend.forwardNll(model.weights, ids, apply);
    warmS = Math.min(warmS, (performance.now() - t0) / 1000);
  }
  return { ids, nll, coldS, warmS, tokensPerS: length / warmS };
}
