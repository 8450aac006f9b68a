/**
 * LongRoPE's short→long switch under a KV cache, measured: decode a continuation that crosses L0 one
 * token at a time with the cache (teacher-forced, so every policy scores the same tokens) and report
 * the NLL of the tokens before and after the crossing under each policy, with what each recomputes:
 *
 * - `keep`: keep the cache and switch — keys cached before L0 stay rotated with the short factors;
 * - `reprefill`: at the crossing, drop the cache and re-run the whole prefix with the long factors
 *   (transformers' Phi-3 behaviour; costs the prefix again);
 * - `long-from-start`: the long factors from the first token (vLLM's start-up choice; nothing to
 *   recompute, but the prefix within L0 runs with the long factors);
 * - `rerotate`: at the crossing, turn every cached key from the short to the long rotation in place
 *   (no matmul: one 2×2 rotation per key pair; the values and everything the short rotation already
 *   changed in later layers stay). It reaches into the CPU backend's cache, so this policy always
 *   runs on the CPU backend.
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import { ropeApplyFor } from "../model/model.ts";
import type { KvCache } from "../model/backend.ts";
import type { RopeTable } from "../strategies/types.ts";
import { type RopeApply, ropeRowCosSin } from "../kernels/rope_apply.ts";
import { CpuBackend } from "../model/cpu_backend.ts";
import { RopekitError } from "../util/errors.ts";

/** A switch measurement that cannot be made as asked: no short/long sets, bad lengths, too few tokens. */
export class KvSwitchError extends RopekitError {}

/** A way to handle the switch. */
export type SwitchPolicy = "keep" | "reprefill" | "long-from-start" | "rerotate";

/** All policies, in report order. */
export const SWITCH_POLICIES: readonly SwitchPolicy[] = ["keep", "reprefill", "long-from-start", "rerotate"];

/** One policy's numbers over all documents. */
export interface SwitchPolicyResult {
  policy: SwitchPolicy;
  /** Mean NLL of the decoded tokens whose sequence (with them) fits L0. */
  nllBefore: number;
  /** Mean NLL of the decoded tokens after the crossing. */
  nllAfter: number;
  /** The same, per document (what paired comparisons use). */
  perDocumentAfter: number[];
  /** Tokens run through the model again (re-prefill), per document. */
  recomputedTokens: number;
  /** Cached key vectors (one per layer, position and KV head) rotated in place, per document. */
  rotatedKeys: number;
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

/**
 * Turns the first `n` cached keys of every layer from the rotation `from` to the rotation `to` (both
 * at position offset 0): undo `from`'s scaled rotation, apply `to`'s. Returns the key vectors touched.
 */
export function rerotateKeys(
  keys: Float32Array[],
  n: number,
  kvHeads: number,
  headDim: number,
  from: RopeApply,
  to: RopeApply,
): number {
  const pairs = from.rotaryDim / 2;
  const cf = new Float32Array(pairs), sf = new Float32Array(pairs);
  const ct = new Float32Array(pairs), st = new Float32Array(pairs);
  const [a0, step, b0] = from.pairing === "interleaved" ? [0, 2, 1] : [0, 1, pairs];
  for (let pos = 0; pos < n; pos++) {
    ropeRowCosSin({ ...from, positionOffset: 0, positions: undefined }, pos, cf, sf);
    ropeRowCosSin({ ...to, positionOffset: 0, positions: undefined }, pos, ct, st);
    for (const k of keys) {
      for (let h = 0; h < kvHeads; h++) {
        const base = (pos * kvHeads + h) * headDim;
        for (let i = 0; i < pairs; i++) {
          const ia = base + a0 + i * step, ib = base + b0 + i * step;
          const a = k[ia], b = k[ib];
          const norm = cf[i] * cf[i] + sf[i] * sf[i]; // scale² of the short rotation
          const xa = (a * cf[i] + b * sf[i]) / norm, xb = (b * cf[i] - a * sf[i]) / norm;
          k[ia] = xa * ct[i] - xb * st[i];
          k[ib] = xb * ct[i] + xa * st[i];
        }
      }
    }
  }
  return n * keys.length * kvHeads;
}

/** Per decoded token (index j predicts doc[prompt + j]), the NLL under `policy`, and the tokens recomputed. */
async function decode(model: Model, table: RopeTable, doc: number[], prompt: number, policy: SwitchPolicy) {
  const t = policy === "long-from-start" ? { ...table, short: undefined, switchLength: undefined } : table;
  const { weights, spec } = model;
  // Re-rotation edits the cache's keys, which only the CPU backend keeps as plain arrays.
  const backend = policy === "rerotate" ? new CpuBackend() : model.backend;
  let cache: KvCache = backend.createCache(weights, doc.length);
  let choice = "";
  let recomputed = 0, rotated = 0;
  let previous: RopeApply | undefined;
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
    if (policy === "rerotate" && choice !== "" && resolved.choice !== choice) {
      const keys = (cache as unknown as { keys: Float32Array[] }).keys;
      const c = weights.config;
      rotated += rerotateKeys(keys, cache.length, c.nKvHeads, c.headDim, previous!, apply);
    }
    previous = apply;
    choice = resolved.choice;
    const logits = await backend.forwardStep(weights, cache, Int32Array.from(pending), apply);
    nll.push(nllOf(logits, doc[pos]));
    pending = [doc[pos]];
  }
  return { nll, recomputed, rotated };
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/**
 * Measures the policies on `documents` windows of `ids` (BOS added), for a table with short and
 * long sets. Throws {@linkcode KvSwitchError} for a table without a switch, bad lengths or too short a text.
 */
export async function measureSwitch(
  model: Model,
  table: RopeTable,
  ids: ArrayLike<number>,
  opts: SwitchOptions = {},
): Promise<SwitchResult> {
  if (!table.short || !table.switchLength) {
    throw new KvSwitchError("switch: the strategy has no short and long sets (LongRoPE, LongRoPE2)", {
      field: "strategy",
    });
  }
  const l0 = table.switchLength;
  const length = opts.length ?? 2 * l0;
  const prompt = opts.prompt ?? Math.floor(l0 / 2);
  const documents = opts.documents ?? 1;
  if (!(prompt >= 1 && prompt < l0 && length > l0)) {
    throw new KvSwitchError(`switch: need 1 ≤ prompt (${prompt}) < L0 (${l0}) < length (${length})`, {
      field: "length",
    });
  }
  if (ids.length < documents * (length - 1)) {
    throw new KvSwitchError(`switch: ${ids.length} tokens, ${documents} documents of ${length} need more`, {
      field: "text",
    });
  }
  // Token doc[pos] is predicted by a pass whose sequence holds pos tokens: "before" while pos ≤ L0.
  const before = l0 - prompt + 1;
  const scores = new Map(
    SWITCH_POLICIES.map((p) => [
      p,
      { before: [] as number[], after: [] as number[], perDoc: [] as number[], re: 0, rot: 0 },
    ]),
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
      s.perDoc.push(mean(r.nll.slice(before)));
      s.re += r.recomputed;
      s.rot += r.rotated;
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
        perDocumentAfter: s.perDoc,
        recomputedTokens: s.re / documents,
        rotatedKeys: s.rot / documents,
      };
    }),
    fullPassAfter: mean(full),
  };
}
