/**
 * Training checkpoints: weights, AdamW moments, step, data position, loss history and the run's
 * options, so a killed run resumes exactly (the data stream is a pure function of its position and
 * there is no other randomness during training). Layout: "RKCKPT01", uint32 header length, a JSON
 * header, then float32 data (every parameter, then every m, then every v, in `parameterList` order).
 * Written to a temporary file and renamed, so a crash never leaves a torn checkpoint.
 *
 * @module
 */
import type { RopeApply } from "../kernels/rope_apply.ts";
import type { LlamaConfig } from "../model/config.ts";
import type { StreamPosition } from "./data.ts";
import { initWeights } from "./init.ts";
import { parameterList } from "./params.ts";
import { TrainSetupError } from "./train_setup_error.ts";
import type { TrainOptions } from "./options.ts";

const MAGIC = "RKCKPT01";

/** The JSON part of a checkpoint. */
export interface CheckpointHeader {
  config: LlamaConfig;
  tied: boolean;
  step: number;
  position: StreamPosition;
  /** The long-document stream's position, for runs that have one. */
  longPosition?: StreamPosition;
  losses: number[];
  options: TrainOptions;
  /** RoPE the run trains with (the short windows' when mixed). */
  rope: RopeJson;
  /** The long windows' RoPE of a mixed run. */
  longRope?: RopeJson;
  /** Free-form data of the caller (e.g. the corpus seed). */
  meta: Record<string, unknown>;
}

/** A {@linkcode RopeApply} in JSON: frequencies as plain arrays; per-window positions are not kept. */
export type RopeJson = Omit<RopeApply, "invFreq" | "originalInvFreq" | "positions"> & {
  invFreq: number[];
  originalInvFreq?: number[];
};

/** `p` as JSON (typed arrays would serialize as objects keyed by index). */
export function ropeToJson(p: RopeApply): RopeJson {
  const { invFreq, originalInvFreq, positions: _, ...rest } = p;
  return {
    ...rest,
    invFreq: Array.from(invFreq),
    ...(originalInvFreq ? { originalInvFreq: Array.from(originalInvFreq) } : {}),
  };
}

/** The inverse of {@linkcode ropeToJson}. Frequencies come back as Float64Array, which holds f32 values exactly. */
export function ropeFromJson(j: RopeJson): RopeApply {
  const { invFreq, originalInvFreq, ...rest } = j;
  return {
    ...rest,
    invFreq: Float64Array.from(invFreq),
    ...(originalInvFreq ? { originalInvFreq: Float64Array.from(originalInvFreq) } : {}),
  };
}

/** A decoded checkpoint. */
export interface Checkpoint {
  header: CheckpointHeader;
  params: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
}

/** Serializes a checkpoint (params, m and v in the same order). */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(c.header));
  const arrays = [...c.params, ...c.m, ...c.v];
  // Pad the header so the float data is 4-byte aligned.
  const headerBytes = Math.ceil(json.length / 4) * 4;
  const dataOffset = 12 + headerBytes;
  const out = new Uint8Array(dataOffset + 4 * arrays.reduce((n, a) => n + a.length, 0));
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(8, headerBytes, true);
  out.fill(0x20, 12, dataOffset);
  out.set(json, 12);
  const body = new Float32Array(out.buffer, dataOffset);
  let off = 0;
  for (const a of arrays) {
    body.set(a, off);
    off += a.length;
  }
  return out;
}

/** Parses a checkpoint; `source` names the file in errors. */
export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new TrainSetupError(`${source}: not a ropekit training checkpoint`);
  }
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(12, 12 + headerBytes)),
  ) as CheckpointHeader;
  const shapes = parameterList(initWeights(header.config, { seed: 0, tied: header.tied, std: 0 }));
  const all = new Float32Array(bytes.slice(12 + headerBytes).buffer);
  const need = 3 * shapes.reduce((n, a) => n + a.length, 0);
  if (all.length !== need) throw new TrainSetupError(`${source}: ${all.length} floats, expected ${need}`);
  let off = 0;
  const take = () => shapes.map((s) => all.subarray(off, off += s.length));
  return { header, params: take(), m: take(), v: take() };
}

/** Writes `bytes` to `path` atomically: a temporary file beside it, then a rename. */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
}
