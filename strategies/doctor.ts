/**
 * The RoPE doctor: for one config, what each engine computes — transformers, vLLM, llama.cpp and
 * ropekit side by side (per-pair inverse frequencies, the cos/sin scale, a separate softmax scale, the
 * long/short switching rule, the keys read and ignored) — and every known pitfall in words a user can
 * act on.
 *
 * The transformers column is `ropeFromHfConfig` (bit-equal to transformers 5.18 on the parity fixture);
 * the llama.cpp column is what a GGUF converted from the config computes, as the engines harness
 * measured on exported models (docs/engines.md); vLLM's column restates its code
 * (`vllm/model_executor/layers/rotary_embedding/`, revisions cited in docs/engines.md) and is not run.
 *
 * @module
 */
import type { HfConfig } from "./hf_config.ts";
import { hfLayerTypes, hfRopeBlock, readHfConfig, ropeFromHfConfig } from "./hf_config.ts";
import { builtinRegistry } from "./registry.ts";
import { type ConfiguredRope, configuredRopeFromHf } from "./config_rope.ts";
import { baseInvFreq } from "./float32.ts";
import { yarnMscale } from "./yarn.ts";
import { longropeAttentionFactor } from "./common.ts";

/** One frequency set as an engine uses it. */
export interface DoctorSet {
  /** "short" (within L0), "long" (beyond), or "all" (one set at every length). */
  use: "short" | "long" | "all";
  /** Inverse frequency per rotary pair, radians per position (rotaryDim/2 entries). */
  invFreq: number[];
  /** Multiplies cos and sin. */
  cosSinScale: number;
}

/** What one engine does with the config. */
export interface EngineColumn {
  /** The engine this column describes. */
  engine: "transformers" | "vllm" | "llama.cpp" | "ropekit";
  /** Where the column comes from. */
  source: string;
  /** False when the engine cannot run this rope type (its `sets` then say what it falls back to). */
  supported: boolean;
  /** The frequency sets the engine uses: one for every length, or short and long. */
  sets: DoctorSet[];
  /** Multiplies the softmax scale 1/sqrt(head_dim) (1: none). */
  softmaxScale: number;
  /** When the long set replaces the short one, and what happens to a KV cache then. */
  switching: string;
  /** The config keys (or GGUF keys) the engine reads for RoPE. */
  reads: string[];
  /** Keys present in this config that the engine silently ignores. */
  ignores: string[];
}

/** A known way the engines disagree, flagged for this config. */
export interface Pitfall {
  /** A stable short id of the pitfall (e.g. "proportional"), for tests and links. */
  id: string;
  /** The engines that disagree with transformers here. */
  engines: string[];
  /** What goes wrong and what to do about it, in a sentence or two. */
  message: string;
  /** Public reports of it. */
  refs: string[];
}

/** The doctor's answer for one config (one layer type of a nested one). */
export interface DoctorReport {
  /** ropekit's name of the config's rope type (e.g. "yarn", "longrope"). */
  ropeType: string;
  /** The layer type examined, for a config with per-layer-type `rope_parameters`. */
  layerType?: string;
  /** Every layer type the config declares (empty for a flat config). */
  layerTypes: string[];
  /** The RoPE base θ (`rope_theta`). */
  theta: number;
  /** Channels per attention head. */
  headDim: number;
  /** Channels rotated per head (headDim, or less with a partial rotary factor). */
  rotaryDim: number;
  /** L0: the context length the model was trained for, in tokens. */
  originalContext: number;
  /** `max_position_embeddings`: the length the config claims, in tokens. */
  maxPositions: number;
  /** transformers, vLLM, llama.cpp and ropekit, in that order. */
  columns: EngineColumn[];
  /** The known pitfalls this config triggers (empty when none). */
  pitfalls: Pitfall[];
  /**
   * What ropekit's `config` strategy entry runs for this config (the default of nll/generate/export for
   * a model with these files): absent when the config declares no scaling or `layerType` is not the one
   * the entry reads (the full-attention layers).
   */
  configEntry?: ConfiguredRope;
}

const arr = (a: ArrayLike<number>) => Array.from(a);

/** Examines one config; `layerType` picks one entry of a per-layer-type `rope_parameters`. */
export async function ropeDoctor(config: HfConfig, layerType?: string): Promise<DoctorReport> {
  const registry = builtinRegistry();
  const rope = readHfConfig(config, registry, layerType);
  const { spec, params } = rope;
  const block = hfRopeBlock(config, layerType) as Record<string, unknown>;
  const keys = Object.keys(block);
  const l0 = spec.originalContext, m = spec.maxPositions;
  const long = await ropeFromHfConfig(config, { seqLen: Math.max(m, l0 + 1), layerType, registry });
  const short = await ropeFromHfConfig(config, { seqLen: l0, layerType, registry });
  const t = long.table;
  const hasShort = t.short !== undefined;
  const hfSets: DoctorSet[] = hasShort
    ? [
      { use: "short", invFreq: arr(short.chosen.invFreq), cosSinScale: short.chosen.attentionScale },
      { use: "long", invFreq: arr(long.chosen.invFreq), cosSinScale: long.chosen.attentionScale },
    ]
    : [{ use: "all", invFreq: arr(long.chosen.invFreq), cosSinScale: long.chosen.attentionScale }];
  const softmax = t.softmaxScale ?? 1;
  const type = rope.ropeType;
  const factor = typeof params.factor === "number" ? params.factor : m / l0;
  const pitfalls: Pitfall[] = [];
  const flag = (id: string, engines: string[], message: string, refs: string[] = []) =>
    pitfalls.push({ id, engines, message, refs });

  // ---- transformers and ropekit (same tables; ropekit also re-prefills on a switch) --------------
  const hfReads = ["rope_type", "rope_theta", "partial_rotary_factor", ...keys.filter((k) => k in params)];
  const columns: EngineColumn[] = [{
    engine: "transformers",
    source: "transformers 5.18.0 modeling_rope_utils.py (fixture-verified bit for bit)",
    supported: true,
    sets: hfSets,
    softmaxScale: softmax,
    switching: hasShort
      ? `per forward pass: long set when max position + 1 > ${l0}; Phi-3 drops the KV cache and re-prefills when a generation crosses it`
      : type === "dynamic-ntk"
      ? `base recomputed when the sequence grows past ${m}; kept for later shorter calls unless they are < ${m} (stateful)`
      : "one set at every length",
    reads: [...new Set(hfReads)].filter((k) => k in block || k === "rope_type"),
    ignores: keys.filter((k) =>
      !hfReads.includes(k) && k !== "type" && k !== "original_max_position_embeddings"
    ),
  }, {
    engine: "ropekit",
    source: "ropekit strategies (HF semantics)",
    supported: true,
    sets: hfSets,
    softmaxScale: softmax,
    switching: hasShort
      ? `per forward pass as transformers; generate() rebuilds the KV cache with the long set at the crossing`
      : "one set at every length",
    reads: [...new Set(hfReads)].filter((k) => k in block || k === "rope_type"),
    ignores: [],
  }];

  // ---- vLLM ----------------------------------------------------------------------------------------
  const vllm: EngineColumn = {
    engine: "vllm",
    source: "vllm/model_executor/layers/rotary_embedding/ (read, not run; revisions in docs/engines.md)",
    supported: true,
    sets: hfSets,
    softmaxScale: softmax,
    switching: "one set for the whole deployment",
    reads: hfReads.filter((k) => k in block),
    ignores: [],
  };
  if (hasShort) {
    const s = m / l0;
    const scale = longropeAttentionFactor(s, l0);
    vllm.sets = [{ use: "all", invFreq: arr(long.chosen.invFreq), cosSinScale: scale }];
    vllm.switching =
      `long set for every length when max_model_len > ${l0} (fixed at start-up), short set otherwise`;
    vllm.ignores = keys.filter((k) => k === "factor" || k === "attention_factor");
  } else if (type === "dynamic-ntk") {
    const d = spec.rotaryDim;
    const base = spec.theta * Math.pow(factor * factor - factor + 1, d / (d - 2));
    vllm.sets = [{ use: "all", invFreq: arr(baseInvFreq(base, d)), cosSinScale: 1 }];
    vllm.switching = "static: base·(s²−s+1)^(d/(d−2)) at every length (before vLLM PR #41277)";
  } else if (type === "proportional") {
    vllm.supported = false;
    vllm.sets = [];
    vllm.switching = "not covered by the vLLM sources read";
  }
  columns.splice(1, 0, vllm);

  // ---- llama.cpp -----------------------------------------------------------------------------------
  const lc: EngineColumn = {
    engine: "llama.cpp",
    source: "GGUF as convert_hf_to_gguf.py / ropekit export writes it; verified by deno task engines",
    supported: true,
    sets: hfSets,
    softmaxScale: 1,
    switching: "one set at every length",
    reads: ["rope.freq_base", "rope.dimension_count", "rope.scaling.*", "rope_freqs / rope_factors_*"],
    ignores: [],
  };
  if (type === "dynamic-ntk") {
    lc.sets = [{ use: "all", invFreq: arr(baseInvFreq(spec.theta, spec.rotaryDim)), cosSinScale: 1 }];
    lc.supported = false;
    lc.switching = "no dynamic NTK: the unscaled base at every length";
  } else if (type === "proportional") {
    lc.supported = false;
    lc.sets = [];
    lc.switching = "no p-RoPE in the llama architecture";
  } else if (type === "yarn") {
    const truncated = params.truncate === false
      ? await ropeFromHfConfig({ ...config, ...v5Truncated(config, layerType) }, { layerType, registry })
      : long;
    const scale = params.attention_factor === undefined && !(params.mscale && params.mscale_all_dim)
      ? yarnMscale(factor)
      : t.attentionScale;
    lc.sets = [{ use: "all", invFreq: arr(truncated.chosen.invFreq), cosSinScale: scale }];
    lc.softmaxScale = /^deepseek/.test(String(config.model_type ?? "")) ? softmax : 1;
    lc.ignores = keys.filter((k) => k === "truncate" || k === "attention_factor");
  } else if (hasShort) {
    const s = m / l0;
    // phi3-architecture GGUFs carry both sets; the converter's attn_factor (from M/O) scales both.
    const scale = longropeAttentionFactor(s, l0);
    lc.sets = [
      { use: "short", invFreq: arr(short.chosen.invFreq), cosSinScale: scale },
      { use: "long", invFreq: arr(long.chosen.invFreq), cosSinScale: scale },
    ];
    lc.switching =
      `long factors when the context per sequence (n_ctx / n_seq) > ${l0}, fixed when the context ` +
      "is created, whatever the input's length";
    lc.ignores = keys.filter((k) => k === "factor" || k === "attention_factor");
  }
  columns.splice(2, 0, lc);

  // ---- pitfalls ------------------------------------------------------------------------------------
  if (hasShort && t.short!.invFreq.some((v, i) => v !== t.invFreq[i])) {
    flag(
      "longrope-kv-switch",
      ["transformers", "vllm", "llama.cpp"],
      `LongRoPE switches from the short to the long factors at ${l0} tokens. A generation that crosses ${l0} ` +
        "with a KV cache holds keys rotated with the short factors: transformers drops the cache and re-prefills, " +
        "vLLM uses the long factors from the start (worse within L0), llama.cpp picks one set from the context " +
        "size when the context is created. Decide which you want, and measure it (`compare --metrics switch`).",
      ["transformers#33129", "llama.cpp#8995", "llama.cpp PR #24875", "onnxruntime-genai PR #1161"],
    );
  }
  if (type === "yarn" && (block.mscale !== undefined || block.mscale_all_dim !== undefined)) {
    const both = Boolean(params.mscale && params.mscale_all_dim);
    flag(
      "yarn-mscale",
      ["transformers", "vllm", "llama.cpp"],
      both
        ? `cos/sin scale mscale(s,${params.mscale})/mscale(s,${params.mscale_all_dim}) = ${t.attentionScale}` +
          (softmax !== 1
            ? `; DeepSeek models also multiply the softmax scale by ${softmax} — a Llama-family model given ` +
              "this block does not, so its logits lose that factor."
            : `; model types other than deepseek_v2/v3 never apply mscale_all_dim to the softmax`)
        : "mscale without mscale_all_dim (or with 0) is ignored by transformers and vLLM: the attention " +
          `factor is 0.1·ln s + 1 = ${yarnMscale(factor)}`,
      ["transformers modeling_deepseek_v3.py yarn_apply_mscale", "llama.cpp llama-context.cpp"],
    );
  }
  if (type === "yarn" && params.truncate === false) {
    flag(
      "yarn-truncate",
      ["llama.cpp", "vllm"],
      "truncate: false keeps YaRN's correction range fractional; llama.cpp (and vLLM before `truncate` support) " +
        "always round it, so their frequencies between the ends differ from transformers'.",
    );
  }
  if (
    typeof block.factor === "number" && Math.abs(block.factor - m / l0) > 1e-9 * factor && m !== l0 &&
    (type === "longrope" || type === "yarn")
  ) {
    flag(
      "factor-vs-lengths",
      type === "longrope" ? ["vllm", "llama.cpp"] : ["transformers"],
      `factor ${block.factor} differs from max_position_embeddings / original_max_position_embeddings = ${
        m / l0
      }: ` +
        (type === "longrope"
          ? "transformers uses factor for the attention scale, vLLM and llama.cpp's converter use M/O."
          : "transformers uses factor and only warns; make the two agree."),
    );
  }
  if (config.rope_parameters && !config.rope_scaling) {
    flag(
      "rope-parameters-v5",
      ["transformers<5", "vllm", "llama.cpp"],
      "this config uses transformers 5 `rope_parameters`" +
        (hfLayerTypes(config).length ? " nested per layer type" : "") +
        ": transformers 4 and tools that read only `rope_scaling` see no scaling and the default θ. " +
        "Export with --hf-format v4 for them.",
    );
  }
  if (type === "dynamic-ntk") {
    flag(
      "dynamic-ntk",
      ["vllm", "llama.cpp", "transformers"],
      "dynamic NTK: llama.cpp has none (unscaled base), older vLLM applies a static base·(s²−s+1)^(d/(d−2)) " +
        `at every length, and transformers keeps a grown base for later calls of exactly ${m} tokens or more.`,
      ["ggml-org/llama.cpp#8361", "vllm#3488", "vllm PR #41277"],
    );
  }
  if (type === "proportional") {
    flag(
      "proportional",
      ["vllm", "llama.cpp"],
      "proportional (p-RoPE) rotates only the first partial_rotary_factor of the pairs, with exponents over " +
        "the full head; engines that read partial_rotary_factor as a partial rotary instead rotate different channels.",
    );
  }
  return {
    ropeType: type,
    layerType,
    layerTypes: hfLayerTypes(config),
    theta: spec.theta,
    headDim: spec.headDim,
    rotaryDim: spec.rotaryDim,
    originalContext: l0,
    maxPositions: m,
    columns,
    pitfalls,
    configEntry: layerType === undefined || layerType === "full_attention"
      ? configuredRopeFromHf(config)
      : undefined,
  };
}

/** The config with YaRN's truncate forced on (what llama.cpp computes). */
function v5Truncated(config: HfConfig, layerType?: string): HfConfig {
  const key = config.rope_scaling ? "rope_scaling" : "rope_parameters";
  const raw = structuredClone(config[key]) as Record<string, Record<string, unknown>>;
  if (hfLayerTypes(config).length) raw[layerType ?? "full_attention"].truncate = true;
  else (raw as unknown as Record<string, unknown>).truncate = true;
  return { [key]: raw };
}
