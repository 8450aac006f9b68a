/**
 * Flag handling shared by the model commands (`nll`, `generate`, `tokenize`): parsing with clear
 * errors, loading the model named by `--model`, and building the RoPE table from `--strategy`.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadModel } from "../model/load_model.ts";
import { BACKENDS, selectBackend } from "../model/select_backend.ts";
import { CONFIG_ENTRY, type ConfiguredRope } from "../strategies/config_rope.ts";
import type { Model } from "../model/model.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import { parseParamArgs } from "../strategies/params.ts";
import { resolveEntry } from "../entries/mod.ts";
import { commandPlugins } from "../entries/mod.ts";
import type { Pairing, RopeContext, RopeSpec, RopeTable } from "../strategies/types.ts";
import { CliError } from "./cli_error.ts";

export { CliError } from "./cli_error.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A flag's parsed value as its declaration types it: a boolean, a string, or (repeatable) strings. */
type FlagValue<O> = O extends { type: "boolean" } ? boolean
  : O extends { multiple: true } ? string[]
  : string;

/** The values {@linkcode parseFlags} returns for `options`: each flag typed, absent when not given. */
export type Flags<T extends Options> = { -readonly [K in keyof T]?: FlagValue<T[K]> };

/** Flags every model command takes. */
export const MODEL_OPTIONS = {
  model: { type: "string" },
  tokenizer: { type: "string" },
  theta: { type: "string" },
  "rotary-dim": { type: "string" },
  "original-context": { type: "string" },
  "max-positions": { type: "string" },
  pairing: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** Help text for {@linkcode MODEL_OPTIONS}. */
export const MODEL_USAGE =
  `  --model M              llama2.c .bin, .gguf, Hugging Face folder, or hf:owner/repo[/path]
  --tokenizer FILE       llama2.c tokenizer.bin for a .bin (default: tokenizer.bin or tok<vocab>.bin beside it)
  --theta X              override the RoPE base read from the model files
  --rotary-dim N         override the rotated channels per head
  --original-context N   override L0, the trained context (stories260K's GGUF says 2048; it was trained at 512)
  --max-positions N      override max_position_embeddings
  --pairing P            override the channel pairing: interleaved | half
  --backend B            auto (native, built on first use if a C compiler runs; else wasm) | native | wasm | webgpu | cpu
  -h, --help             this text`;

/** Strategy flags of `nll` and `generate`. */
export const STRATEGY_OPTIONS = {
  strategy: { type: "string" },
  param: { type: "string", multiple: true },
  target: { type: "string" },
} as const satisfies Options;

/** Help text for {@linkcode STRATEGY_OPTIONS}. */
export const STRATEGY_USAGE =
  `  --strategy S           RoPE strategy (default: "config", the scaling the model's files declare, else "default")
  --param k=v            a strategy parameter, repeatable (e.g. --param factor=4)
  --target N             the length the strategy extends to (default: the sequence length)`;

/**
 * Parses `args` strictly; unknown flags and missing values become {@linkcode CliError}s. The result is
 * typed by `options` (declare them `as const`), so commands read `v.model` as a string, not unknown.
 */
export function parseFlags<const T extends Options>(args: string[], options: T): Flags<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Flags<T>;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** A positive integer flag value, or undefined when absent. */
export function positiveInt(flag: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isInteger(n) || n <= 0) {
    throw new CliError(`${flag} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function positiveNumber(flag: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !(n > 0) || !Number.isFinite(n)) {
    throw new CliError(`${flag} must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** A flag of the form A:B (two finite numbers), e.g. --text-range 0:0.5. */
export function numberPair(flag: string, raw: string): [number, number] {
  const parts = raw.split(":");
  const [a, b] = parts.map(Number);
  if (
    parts.length !== 2 || parts.some((p) => p.trim() === "") || !Number.isFinite(a) || !Number.isFinite(b)
  ) {
    throw new CliError(`${flag} must look like A:B, got "${raw}"`);
  }
  return [a, b];
}

/** A required string flag. */
export function required<T extends Record<string, unknown>>(values: T, flag: keyof T & string): string {
  const v = values[flag];
  if (typeof v !== "string" || v === "") throw new CliError(`--${flag} is required (see --help)`);
  return v;
}

/** Loads `--model` with the spec overrides and `--tokenizer` given. */
export async function loadModelFromFlags(values: Flags<typeof MODEL_OPTIONS>): Promise<Model> {
  const o = modelOptionsFromFlags(values);
  let backend;
  try {
    backend = await selectBackend(o.backend);
  } catch (e) {
    throw new CliError(`--backend: ${(e as Error).message}`);
  }
  return loadModel(o.path, { tokenizer: o.tokenizer, spec: o.spec, backend });
}

/**
 * The model flags checked and turned into data (path, tokenizer, spec overrides, backend name), for
 * a model loaded elsewhere (a queue worker's model thread); {@linkcode loadModelFromFlags} loads it here.
 */
export function modelOptionsFromFlags(values: Flags<typeof MODEL_OPTIONS>): {
  path: string;
  tokenizer?: string;
  spec: Partial<RopeSpec>;
  backend: string;
} {
  const pairing = values.pairing as Pairing | undefined;
  if (pairing !== undefined && pairing !== "interleaved" && pairing !== "half") {
    throw new CliError(`--pairing must be interleaved or half, got ${JSON.stringify(pairing)}`);
  }
  const spec: Partial<RopeSpec> = {
    theta: positiveNumber("--theta", values.theta),
    rotaryDim: positiveInt("--rotary-dim", values["rotary-dim"]),
    originalContext: positiveInt("--original-context", values["original-context"]),
    maxPositions: positiveInt("--max-positions", values["max-positions"]),
    pairing,
  };
  const backend = values.backend ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new CliError(`--backend: unknown backend "${backend}" (known: ${BACKENDS.join(", ")})`);
  }
  return {
    path: required(values, "model"),
    tokenizer: values.tokenizer,
    spec,
    backend,
  };
}

/**
 * The table for `--strategy`/`--param` for sequences of `seqLen` positions. Default strategy: `config`
 * (the model's declared scaling, `configRope`) when it declares one, else `default`. `--target`
 * defaults to the entry's own target (config: HF's max_position_embeddings), else `seqLen`. `--strategy` takes compare's entry forms too
 * (`yarn:factor=8`, `longrope2@result.json`); `--param` values override the entry's.
 */
export async function tableFromFlags(
  values: Flags<typeof STRATEGY_OPTIONS>,
  spec: RopeSpec,
  seqLen: number,
  configRope?: ConfiguredRope,
): Promise<RopeTable> {
  const registry = builtinRegistry();
  // A plugin entry (URL or path) runs sandboxed for this one table, then its sandbox stops.
  const plugins = commandPlugins(registry);
  try {
    const entry = await resolveEntry(
      values.strategy ?? (configRope ? CONFIG_ENTRY : "default"),
      { registry, plugins: plugins.resolve, configRope },
    );
    const strategy = entry.strategy;
    const params = {
      ...entry.params,
      ...parseParamArgs(strategy.name, strategy.params, values.param ?? []),
    };
    const target = positiveInt("--target", values.target) ?? entry.targetLength ?? seqLen;
    const ctx: RopeContext = { targetLength: target, seqLen };
    return await buildTable(strategy, spec, ctx, params);
  } finally {
    await plugins.close();
  }
}

export { runCommand } from "./run_command.ts";
