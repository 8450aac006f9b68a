/**
 * {@linkcode Model}: weights + RoPE spec + tokenizer + backend. It takes RoPE tables (data), never
 * strategy names, and resolves the short/long choice per pass with `strategies/table.ts`.
 *
 * @module
 */
import type { RopeApply } from "../kernels/rope_apply.ts";
import { type ResolvedRope, resolveFrequencies, validateTable } from "../strategies/table.ts";
import type { RopeSpec, RopeTable } from "../strategies/types.ts";
import type { ConfiguredRope } from "../strategies/config_rope.ts";
import type { Backend, KvCache } from "./backend.ts";
import type { LlamaConfig, ModelWeights } from "./config.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { TokenIdError } from "./token_id_error.ts";

/** Result of {@linkcode Model.nll}. */
export interface NllResult {
  /** Per window, NLL (nats) of tokens 1..n−1. */
  nll: Float32Array[];
  /** Per window, the frequencies and scale actually applied. */
  rope: ResolvedRope[];
  /** Wall time of the forward passes. */
  seconds: number;
}

/** The RoPE application for a pass over `seqLen` positions (HF's rule: seqLen = max position + 1). */
export function ropeApplyFor(spec: RopeSpec, table: RopeTable, seqLen: number, positionOffset = 0) {
  const resolved = resolveFrequencies(table, seqLen);
  // A softmax-scale factor (contract v2) folds into the cos/sin scale of q and k exactly when every
  // channel rotates; with partial rotary the kernels would need their own softmax scale.
  if (resolved.softmaxScale !== 1 && spec.rotaryDim !== spec.headDim) {
    throw new RangeError("a table with softmaxScale needs rotary_dim = head_dim in ropekit's model");
  }
  const apply: RopeApply = {
    rotaryDim: spec.rotaryDim,
    invFreq: resolved.invFreq,
    scale: resolved.attentionScale * Math.sqrt(resolved.softmaxScale),
    pairing: spec.pairing,
    positionOffset,
    startTokens: resolved.startTokens,
    originalInvFreq: resolved.original,
  };
  return { resolved, apply };
}

/** What a model's files say about its RoPE beyond the spec. */
export interface OwnRope {
  /** The scaling the files declare: the `config` strategy entry (absent: none declared). */
  configRope?: ConfiguredRope;
  /** The sliding-window layers' own RoPE (Gemma 3), applied as declared whatever table a pass is given. */
  localRope?: { spec: RopeSpec; table: RopeTable };
}

/** A loaded model ready to score and generate. */
export class Model {
  /** Assembles a model from what a loader read (use `loadModel` to read one from files). */
  constructor(
    readonly weights: ModelWeights,
    readonly spec: RopeSpec,
    readonly tokenizer: Tokenizer,
    readonly backend: Backend,
    /** The file or folder it was loaded from. */
    readonly source: string,
    readonly own: OwnRope = {},
  ) {}

  /** The scaling the model's files declare (the `config` entry), or undefined. */
  get configRope(): ConfiguredRope | undefined {
    return this.own.configRope;
  }

  /** The sliding layers' RoPE for a pass over `seqLen` positions from `positionOffset`, if the model has one. */
  #localApply(seqLen: number, positionOffset = 0) {
    const local = this.own.localRope;
    return local && ropeApplyFor(local.spec, local.table, seqLen, positionOffset).apply;
  }

  /** Shapes and special ids (`weights.config`). */
  get config(): LlamaConfig {
    return this.weights.config;
  }

  #checkIds(ids: readonly number[], what: string): Int32Array {
    const v = this.config.vocabSize;
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= v) {
        throw new TokenIdError(`${what}: token ${i} is ${id}, outside the vocabulary [0, ${v})`, {
          field: what,
        });
      }
    });
    return Int32Array.from(ids);
  }

  /**
   * Per-token NLL of each window's tokens 1..n−1. The table's short/long choice is made per window
   * with seqLen = n, as HF does when it scores a window of n input ids.
   */
  async nll(windows: number[][], table: RopeTable): Promise<NllResult> {
    const checked = validateTable(table, this.spec);
    const nll: Float32Array[] = [];
    const rope: ResolvedRope[] = [];
    const t0 = performance.now();
    for (const [i, w] of windows.entries()) {
      const tokens = this.#checkIds(w, `window ${i}`);
      const { resolved, apply } = ropeApplyFor(this.spec, checked, tokens.length);
      nll.push(await this.backend.forwardNll(this.weights, tokens, apply, this.#localApply(tokens.length)));
      rope.push(resolved);
    }
    return { nll, rope, seconds: (performance.now() - t0) / 1000 };
  }

  /**
   * Greedy decoding with a KV cache. Returns the new ids (the prompt excluded); stops after
   * `maxTokens` or at EOS/BOS. When the table's short/long choice changes as the sequence grows past
   * `switchLength`, the cache was built with the other frequencies and is recomputed.
   *
   * @example Recall a pet's name stated earlier in the prompt
   * ```ts
   * import assert from "node:assert/strict";
   * import { loadModel } from "./load_model.ts";
   * import { buildTable, builtinRegistry } from "../strategies/mod.ts";
   *
   * const model = await loadModel("models/facts837K/model.bin");
   * const table = await buildTable(builtinRegistry().get("default"), model.spec);
   * const text = "Tom had a pet dog. The dog was named Bella. The sun was warm over the farm.\n" +
   *   "Tom loved the pet dog very much. The name of the dog was";
   * const prompt = model.tokenizer.encode(text);
   * const out = await model.generate(prompt, table, 3);
   * assert.ok(out.length <= 3);
   * assert.ok(model.tokenizer.decode([...prompt, ...out]).slice(text.length).startsWith(" Bella"));
   * ```
   */
  async generate(
    promptIds: number[],
    table: RopeTable,
    maxTokens: number,
    onToken?: (id: number) => void,
  ): Promise<number[]> {
    const checked = validateTable(table, this.spec);
    const ids = [...this.#checkIds(promptIds, "prompt")];
    if (ids.length === 0) throw new RangeError("prompt: at least one token (BOS) is needed");
    let cache: KvCache = this.backend.createCache(this.weights, ids.length + maxTokens);
    let choice = "";
    let pending = ids.slice();
    const out: number[] = [];
    while (out.length < maxTokens) {
      const seqLen = cache.length + pending.length;
      const { resolved, apply } = ropeApplyFor(this.spec, checked, seqLen, cache.length);
      if (choice !== "" && resolved.choice !== choice) {
        cache = this.backend.createCache(this.weights, ids.length + maxTokens);
        pending = ids.slice();
        choice = "";
        continue;
      }
      choice = resolved.choice;
      const local = this.#localApply(seqLen, cache.length);
      const logits = await this.backend.forwardStep(
        this.weights,
        cache,
        Int32Array.from(pending),
        apply,
        local,
      );
      let next = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i] > logits[next]) next = i;
      if (next === this.config.eosId || next === this.config.bosId) break;
      ids.push(next);
      out.push(next);
      onToken?.(next);
      pending = [next];
    }
    return out;
  }
}
