/**
 * `loadModel(name)`: one entry point for every model format. `name` is a llama2.c `.bin`, a `.gguf`,
 * a Hugging Face folder, or `hf:owner/repo[/path]` (downloaded once into the local cache).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { RopeSpec } from "../strategies/types.ts";
import type { Backend } from "./backend.ts";
import { ModelFormatError } from "./config.ts";
import { type LoadedFiles, loadGguf } from "./gguf_model.ts";
import { loadHfDirectory } from "./hf_model.ts";
import { resolveHfName } from "./hub.ts";
import { parseLlama2cCheckpoint } from "./llama2c_checkpoint.ts";
import { parseLlama2cTokenizer } from "./llama2c_tokenizer.ts";
import { Model } from "./model.ts";
import { defaultBackend } from "./native_backend.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { UnsupportedTokenizer } from "./unsupported_tokenizer.ts";

/** Options of {@linkcode loadModel}. */
export interface LoadOptions {
  /** llama2.c tokenizer.bin for a `.bin` checkpoint (default: tokenizer.bin or tok{vocab}.bin beside it). */
  tokenizer?: string;
  /** Replaces fields of the RoPE spec read from the files (e.g. the trained context L0). */
  spec?: Partial<RopeSpec>;
  /** Default: the native backend when its library loads (`deno task build`, --allow-ffi), else the CPU one. */
  backend?: Backend;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new ModelFormatError(`${what} ${path}: cannot read (${(e as Error).message})`);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Where a llama2.c `.bin`'s tokenizer is looked for, in order: `tokenizer.bin`, then `tok<vocab>.bin` beside it. */
export function llama2cTokenizerCandidates(model: string, vocabSize: number): string[] {
  return [join(dirname(model), "tokenizer.bin"), join(dirname(model), `tok${vocabSize}.bin`)];
}

/** The first of {@linkcode llama2cTokenizerCandidates} that exists, as `loadModel` picks it; else undefined. */
export async function findLlama2cTokenizer(model: string, vocabSize: number): Promise<string | undefined> {
  for (const candidate of llama2cTokenizerCandidates(model, vocabSize)) {
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

async function loadLlama2c(path: string, tokenizerPath?: string): Promise<LoadedFiles> {
  const { weights, seqLen } = parseLlama2cCheckpoint(await readBytes(path, "model"), path);
  const c = weights.config;
  const candidates = tokenizerPath ? [tokenizerPath] : llama2cTokenizerCandidates(path, c.vocabSize);
  let tokenizer: Tokenizer = new UnsupportedTokenizer(
    `${path}: no tokenizer found (looked for ${candidates.join(", ")}); pass --tokenizer FILE or --tokens`,
    c,
  );
  for (const candidate of candidates) {
    if (tokenizerPath || await isFile(candidate)) {
      tokenizer = parseLlama2cTokenizer(await readBytes(candidate, "tokenizer"), c.vocabSize, candidate);
      break;
    }
  }
  const spec: RopeSpec = {
    theta: 10000, // run.c's constant
    headDim: c.headDim,
    rotaryDim: c.headDim,
    originalContext: seqLen,
    maxPositions: seqLen,
    pairing: "interleaved",
  };
  return { weights, spec, tokenizer };
}

/** Applies overrides and checks the result is a spec the model can run. */
export function overrideSpec(spec: RopeSpec, overrides: Partial<RopeSpec>, source: string): RopeSpec {
  const out = {
    ...spec,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const bad = (field: string, why: string) => new ModelFormatError(`${source}: RoPE spec ${field} = ${why}`);
  if (out.headDim !== spec.headDim) {
    throw bad("headDim", `${out.headDim}, but the weights have ${spec.headDim}`);
  }
  if (
    !Number.isInteger(out.rotaryDim) || out.rotaryDim <= 0 || out.rotaryDim % 2 || out.rotaryDim > out.headDim
  ) {
    throw bad("rotaryDim", `${out.rotaryDim}: must be even and in (0, headDim=${out.headDim}]`);
  }
  if (!(out.theta > 0)) throw bad("theta", `${out.theta}: must be > 0`);
  for (const f of ["originalContext", "maxPositions"] as const) {
    if (!Number.isInteger(out[f]) || out[f] <= 0) throw bad(f, `${out[f]}: must be a positive integer`);
  }
  if (out.pairing !== "interleaved" && out.pairing !== "half") {
    throw bad("pairing", `${out.pairing}: must be "interleaved" or "half"`);
  }
  return out;
}

/**
 * Loads a model by path or `hf:` name.
 *
 * @example The in-repo model: its RoPE and its tokenizer (`tok768.bin`, found beside it)
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModel } from "./load_model.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * assert.equal(model.spec.originalContext, 256); // trained at 256 tokens
 * assert.equal(model.spec.pairing, "interleaved"); // llama2.c's run.c layout
 * const ids = model.tokenizer.encode("Tom had a pet dog.");
 * assert.equal(ids[0], model.tokenizer.bosId);
 * assert.equal(model.tokenizer.decode(ids), "Tom had a pet dog.");
 * ```
 */
export async function loadModel(name: string, options: LoadOptions = {}): Promise<Model> {
  const path = name.startsWith("hf:") ? await resolveHfName(name) : name;
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    throw new ModelFormatError(`model ${path}: cannot read (${(e as Error).message})`);
  }
  let files: LoadedFiles;
  if (stat.isDirectory) {
    if (!(await isFile(join(path, "config.json")))) {
      throw new ModelFormatError(`model ${path}: a folder without config.json is not a Hugging Face model`);
    }
    files = await loadHfDirectory(path);
  } else if (await hasGgufMagic(path)) {
    files = await loadGguf(path);
  } else {
    files = await loadLlama2c(path, options.tokenizer);
  }
  const spec = overrideSpec(files.spec, options.spec ?? {}, path);
  const own = { configRope: files.configRope, localRope: files.localRope };
  return new Model(files.weights, spec, files.tokenizer, options.backend ?? defaultBackend(), path, own);
}

async function hasGgufMagic(path: string): Promise<boolean> {
  const f = await Deno.open(path);
  try {
    const magic = new Uint8Array(4);
    return (await f.read(magic)) === 4 && new TextDecoder().decode(magic) === "GGUF";
  } finally {
    f.close();
  }
}
