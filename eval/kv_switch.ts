/**
 * LongRoPE's short→long switch under a KV cache, measured: decode a continuation that crosses L0 one
 * token at a time with the cache (teacher-forced, so every policy scores the same tokens) and report
 * the NLL of the tokens before and after the crossing under each policy, with what each recomputes:
 *
 * - `keep`: keep the cache and switch — keys cached before L0 stay rotated with the short factors;
 * - `reprefill`: at the crossing, drop the cache and re-run the whole prefix with the long factors
 *   (transformers' Phi-3 behaviour; costs the prefix again);
 * - `long-from-start`: the long factors from the first token (vLLM's start-up choice; nothing to
 *   recompute, but the prefix within L0 runs with the long factors).
 *
 * Re-rotating the cached keys in place (onnxruntime-genai's rewind is a cousin) needs a backend
 * operation on the cache that ropekit's backends do not expose; it is not measured here.
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import { ropeApplyFor } from "../model/model.ts";
import type { KvCache } from "../model/backend.ts";
import type { RopeTable } from "../strategies/types.ts";

/** A way to handle the switch. */
export type SwitchPolicy = "keep" | "reprefill" | "long-from-start";

/** All policies, in report order. */
export const SWITCH_POLICIES: readonly SwitchPolicy[] = ["keep", "reprefill", "long-from-start"];

/** One policy's numbers over all documents. */
export interface SwitchPolicyResult {
  policy: SwitchPolicy;
  /** Mean NLL of the decoded tokens whose sequence (with them) fits L0. */
  nllBefore: number;
  /** Mean NLL of the decoded tokens after the crossing. */
  nllAfter: number;
  /** Tokens run through the model again (re-prefill), per document. */
  recomputedTokens: number;
}

/** The measurement. */
export interface SwitchResult {
  switchLength: number;
  /** Tokens prefilled before decoding starts (within L0). */
  prompt: number;
  /** Length of each document (prompt + decoded). */
  length: number;
  documents: number;
  /** Decoded tokens scored before / after the crossing, per document. */
  tokensBefore: number;
  tokensAfter: number;
  policies: SwitchPolicyResult[];
  /** The same tokens scored by one forward pass over the whole document (no cache): the reference. */
  fullPassAfter: number;
}

/** Options of {@linkcode measureSwitch}. */
export interface SwitchOptions {
  /** Document length (default 2 × L0). */
  length?: number;
  /** Prompt prefilled at once (default L0 / 2). */
  prompt?: number;
  documents?: number;
  /** Called after each document and policy. */
  onProgress?: (line: string) => void;
}

function nllOf(logits: Float32Array, target: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return Math.log(sum) + max - logits[target];
}

/** Per decoded token (index j predicts doc[prompt + j]), the NLL under `policy`, and the tokens recomputed. */
async function decode(model: Model, table: RopeTable, doc: number[], prompt: number, policy: SwitchPolicy) {
  const t = policy === "long-from-start" ? { ...table, short: undefined, switchLength: undefined } : table;
  const { backend, weights, spec } = model;
  let cache: KvCache = backend.createCache(weights, doc.length);
  let choice = "";
  let recomputed = 0;
  const nll: number[] = [];
  let pending = doc.slice(0, prompt);
  for (let pos = prompt; pos < doc.length; pos++) {
    const seqLen = cache.length + pending.length;
    let { resolved, apply } = ropeApplyFor(spec, t, seqLen, cache.length);
    if (policy === "reprefill" && choice !== "" && resolved.choice !== choice) {
      // Drop the cache and run everything so far again with the new set.
      recomputed += cache.length;
      cache = backend.createCache(weights, doc.length);
      pending = doc.slice(0, pos);
      ({ resolved, apply } = ropeApplyFor(spec, t, pending.length, 0));
    }
    choice = resolved.choice;
    const logits = await backend.forwardStep(weights, cache, Int32Array.from(pending), apply);
    nll.push(nllOf(logits, doc[pos]));
    pending = [doc[pos]];
  }
  return { nll, recomputed };
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/**
 * Measures the policies on `documents` windows of `ids` (BOS added), for a table with short and
 * long sets. Throws for a table without a switch.
 */
export async function measureSwitch(
  model: Model,
  table: RopeTable,
  ids: ArrayLike<number>,
  opts: SwitchOptions = {},
): Promise<SwitchResult> {
  if (!table.short || !table.switchLength) {
    throw new RangeError("switch: the strategy has no short and long sets (LongRoPE, LongRoPE2)");
  }
  const l0 = table.switchLength;
  const length = opts.length ?? 2 * l0;
  const prompt = opts.prompt ?? Math.floor(l0 / 2);
  const documents = opts.documents ?? 1;
  if (!(prompt >= 1 && prompt < l0 && length > l0)) {
    throw new RangeError(`switch: need 1 ≤ prompt (${prompt}) < L0 (${l0}) < length (${length})`);
  }
  if (ids.length < documents * (length - 1)) {
    throw new RangeError(`switch: ${ids.length} tokens, ${documents} documents of ${length} need more`);
  }
  // Token doc[pos] is predicted by a pass whose sequence holds pos tokens: "before" while pos ≤ L0.
  const before = l0 - prompt + 1;
  const scores = new Map(
    SWITCH_POLICIES.map((p) => [p, { before: [] as number[], after: [] as number[], re: 0 }]),
  );
  const full: number[] = [];
  for (let d = 0; d < documents; d++) {
    const doc = [
      model.tokenizer.bosId,
      ...Array.from({ length: length - 1 }, (_, i) => ids[d * (length - 1) + i]),
    ];
    for (const p of SWITCH_POLICIES) {
      const r = await decode(model, table, doc, prompt, p);
      const s = scores.get(p)!;
      s.before.push(...r.nll.slice(0, before));
      s.after.push(...r.nll.slice(before));
      s.re += r.recomputed;
      opts.onProgress?.(`switch: document ${d + 1}/${documents} ${p}`);
    }
    const ref = (await model.nll([doc], table)).nll[0]; // index j predicts doc[j + 1]
    full.push(...Array.from(ref.slice(prompt - 1 + before)));
  }
  return {
    switchLength: l0,
    prompt,
    length,
    documents,
    tokensBefore: before,
    tokensAfter: length - prompt - before,
    policies: SWITCH_POLICIES.map((p) => {
      const s = scores.get(p)!;
      return {
        policy: p,
        nllBefore: mean(s.before),
        nllAfter: mean(s.after),
        recomputedTokens: s.re / documents,
      };
    }),
    fullPassAfter: mean(full),
  };
}
