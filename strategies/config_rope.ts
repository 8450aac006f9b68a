/**
 * The strategy entry `config`: a model's own RoPE as its files declare it — a Hugging Face config's
 * `rope_scaling`/`rope_parameters` (v4 or v5, the full-attention block where it is nested per layer
 * type) or a GGUF's `rope.scaling.*` keys — as the matching built-in strategy with its parameters.
 * It is what `nll`, `generate` and `export` apply when no `--strategy` is given and the files declare a
 * scaling, and the natural reference of a comparison.
 *
 * @module
 */
import type { HfConfig } from "./hf_config.ts";
import { readHfConfig } from "./hf_config.ts";
import type { Params } from "./types.ts";

/** The entry name users write (`--strategy config`, `--strategies config,yarn`). */
export const CONFIG_ENTRY = "config";

/** A model's declared RoPE, as a built-in strategy. */
export interface ConfiguredRope {
  /** ropekit strategy name (`pi` for HF `linear`, `longrope` for `su`, ...). */
  strategy: string;
  /** Its parameters as the files give them (others take the strategy's defaults). */
  params: Params;
  /**
   * The length HF builds the table for (`max_position_embeddings` / GGUF `context_length`): LongRoPE's
   * attention factor and ratio defaults read it, so a config's table does not depend on the text scored.
   */
  targetLength: number;
  /** Where it was read, for messages and the doctor: "config.json rope_parameters", "GGUF rope.scaling.*". */
  source: string;
}

/**
 * The scaling an HF config declares (its full-attention layers' where nested), or undefined when it
 * declares none (`default`). Reads through `readHfConfig`, the reader that matches transformers.
 */
export function configuredRopeFromHf(config: HfConfig, source = "config.json"): ConfiguredRope | undefined {
  const hf = readHfConfig(config);
  if (hf.ropeType === "default") return undefined;
  return { strategy: hf.ropeType, params: hf.params, targetLength: hf.targetLength, source };
}

/** A GGUF's per-pair RoPE factor tensors (each divides pair i's angle, as ggml's rope applies them). */
export interface GgufRopeFactors {
  /** `rope_freqs.weight`: one set at every length (llama.cpp's form of Llama 3.1's scaling). */
  freqs?: ArrayLike<number>;
  /** `rope_factors_long.weight` / `rope_factors_short.weight`: LongRoPE's two sets (Phi-3). */
  long?: ArrayLike<number>;
  /** `rope_factors_short.weight`: LongRoPE's set within the trained window. */
  short?: ArrayLike<number>;
}

/**
 * Factor tensors as LongRoPE, whose λ_i divide pair i's frequency exactly as ggml's factors do: one set
 * (`rope_freqs`) as equal long and short sets with attention factor `attn_factor` (default 1), or the two
 * sets of `rope_factors_long`/`_short` with `attn_factor` if given (else LongRoPE's own).
 */
function fromFactorTensors(
  f: GgufRopeFactors,
  attn: number | undefined,
  contextLength: number,
  source: string,
): ConfiguredRope | undefined {
  const list = (a: ArrayLike<number>) => Array.from(a, Number);
  let params: Params;
  if (f.long && f.short) {
    params = { long_factor: list(f.long), short_factor: list(f.short) };
    if (attn !== undefined) params.attention_factor = attn;
  } else if (f.freqs) {
    params = { long_factor: list(f.freqs), short_factor: list(f.freqs), attention_factor: attn ?? 1 };
  } else return undefined;
  return {
    strategy: "longrope",
    params,
    targetLength: contextLength,
    source: `${source} rope factor tensors`,
  };
}

/** GGUF `rope.scaling.type` values and the built-in each one is. */
const GGUF_TYPES: Record<string, string> = { linear: "pi", yarn: "yarn" };

/**
 * The scaling a GGUF declares: `{arch}.rope.scaling.type` `linear`/`yarn` with `.factor` (and for YaRN
 * `.yarn_beta_fast`, `.yarn_beta_slow`), else its per-pair factor tensors (`factors`), else undefined.
 * `contextLength` is the file's `{arch}.context_length`. A type ropekit has no built-in for throws,
 * naming it.
 */
export function configuredRopeFromGguf(
  md: Record<string, unknown>,
  arch: string,
  contextLength: number,
  source: string,
  factors: GgufRopeFactors = {},
): ConfiguredRope | undefined {
  const key = (k: string) => `${arch}.rope.scaling.${k}`;
  const num = (k: string) => {
    const v = md[key(k)];
    return typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : undefined;
  };
  const type = md[key("type")];
  if (type === undefined || type === "none") {
    return fromFactorTensors(factors, num("attn_factor"), contextLength, source);
  }
  const strategy = GGUF_TYPES[String(type)];
  if (!strategy) {
    throw new RangeError(
      `${source}: ${key("type")} "${type}" has no ropekit strategy (known: none, ${
        Object.keys(GGUF_TYPES).join(", ")
      })`,
    );
  }
  const params: Params = {};
  const factor = num("factor");
  if (factor !== undefined && factor > 0) params.factor = factor;
  if (strategy === "yarn") {
    // llama.cpp's attn_factor multiplies YaRN's mscale, HF's attention_factor replaces it: refuse to guess.
    const attn = num("attn_factor");
    if (attn !== undefined && attn !== 1) {
      throw new RangeError(`${source}: ${key("attn_factor")} = ${attn} is not supported (only 1)`);
    }
    const fast = num("yarn_beta_fast"), slow = num("yarn_beta_slow");
    if (fast) params.beta_fast = fast;
    if (slow) params.beta_slow = slow;
  }
  return { strategy, params, targetLength: contextLength, source: `${source} rope.scaling.*` };
}
