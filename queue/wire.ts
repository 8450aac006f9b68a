/**
 * The job and result wire format between a search (or compare) and queue workers. A job is data
 * only: a model's content hash, RoPE tables as numbers and documents as token ids. Workers parse and
 * check it here; nothing in a job is ever executed.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";
import type { RopeFrequencies, RopeTable } from "../strategies/types.ts";
import type { ScoreDoc } from "../search/evaluator.ts";
import { JOB_LIMITS } from "./limits.ts";

/** Wire format version; a worker refuses jobs of another version. */
export const WIRE_VERSION = 1;

/** A RoPE table as JSON: Float64Arrays become number arrays (JSON numbers round-trip doubles exactly). */
export interface WireTable {
  invFreq: number[];
  attentionScale: number;
  rotaryDim: number;
  short?: { invFreq: number[]; attentionScale: number };
  switchLength?: number;
  startTokens?: number;
  original?: number[];
  lengthDependent?: boolean;
}

/** One scoring job: per-document mean NLL of `docs` on model `model`. */
export interface ScoreJob {
  v: typeof WIRE_VERSION;
  /** Content hash of the model (see `modelHash`). */
  model: string;
  /** Tables by sequence length; seqLen 0 is the one table for every length. */
  tables: { seqLen: number; table: WireTable }[];
  /** The documents inline, or (`docsRef`) the content hash of the documents stored once in Redis. */
  docs?: ScoreDoc[];
  docsRef?: string;
  /** Return every token's NLL too (compare's perplexity curves need them), not only the means. */
  perToken?: boolean;
}

/** What a worker returns. Scores are JSON numbers (a non-finite score travels as null). */
export interface ScoreResult {
  v: typeof WIRE_VERSION;
  scores: (number | null)[];
  /** With `perToken`: per document, NLL of tokens 1..n−1 (float32 values, exact as JSON numbers). */
  nll?: (number | null)[][];
  /** Seconds the worker spent on the model. */
  seconds: number;
  worker: string;
}

/** Thrown for a job that can never be evaluated (bad table, bad documents, another version). */
export class WireError extends RopekitError {
  override name = "WireError";
}

/** A table as JSON. */
export function tableToWire(t: RopeTable): WireTable {
  return {
    invFreq: Array.from(t.invFreq),
    attentionScale: t.attentionScale,
    rotaryDim: t.rotaryDim,
    ...(t.short
      ? { short: { invFreq: Array.from(t.short.invFreq), attentionScale: t.short.attentionScale } }
      : {}),
    ...(t.switchLength !== undefined ? { switchLength: t.switchLength } : {}),
    ...(t.startTokens !== undefined ? { startTokens: t.startTokens } : {}),
    ...(t.original ? { original: Array.from(t.original) } : {}),
    ...(t.lengthDependent ? { lengthDependent: true } : {}),
  };
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

function floats(x: unknown, what: string): Float64Array {
  if (!Array.isArray(x) || x.length === 0 || !x.every(isNum)) {
    throw new WireError(`${what} must be a non-empty array of finite numbers`);
  }
  return Float64Array.from(x);
}

function frequencies(x: unknown, what: string): RopeFrequencies {
  const o = x as Partial<WireTable> | null;
  if (typeof o !== "object" || o === null) throw new WireError(`${what} must be an object`);
  if (!isNum(o.attentionScale)) throw new WireError(`${what}.attentionScale must be a finite number`);
  return { invFreq: floats(o.invFreq, `${what}.invFreq`), attentionScale: o.attentionScale };
}

/** A table from JSON; shapes are checked again by the model (`validateTable`) before use. */
export function tableFromWire(x: unknown): RopeTable {
  const o = x as WireTable;
  const base = frequencies(o, "table");
  if (!Number.isInteger(o.rotaryDim)) throw new WireError("table.rotaryDim must be an integer");
  const opt = (k: "switchLength" | "startTokens") => {
    if (o[k] !== undefined && !Number.isInteger(o[k])) throw new WireError(`table.${k} must be an integer`);
    return o[k] !== undefined ? { [k]: o[k] } : {};
  };
  return {
    ...base,
    rotaryDim: o.rotaryDim,
    ...(o.short !== undefined ? { short: frequencies(o.short, "table.short") } : {}),
    ...opt("switchLength"),
    ...opt("startTokens"),
    ...(o.original !== undefined ? { original: floats(o.original, "table.original") } : {}),
    ...(o.lengthDependent ? { lengthDependent: true } : {}),
  };
}

/** Redis key of documents stored once for every job of a search (a search's jobs share them). */
export function docsKey(ref: string): string {
  return `ropekit:docs:${ref}`;
}

/** Refuses a job larger than {@linkcode JOB_LIMITS}, before anything else is read from it. */
function checkLimits(docs: unknown[], tables: number): void {
  if (docs.length > JOB_LIMITS.documents) {
    throw new WireError(`job has ${docs.length} documents, more than the limit of ${JOB_LIMITS.documents}`);
  }
  // One table per distinct document length at most, plus the one for every length.
  if (tables > docs.length + 1) throw new WireError(`job has ${tables} tables for ${docs.length} documents`);
  let total = 0;
  for (const [i, d] of docs.entries()) {
    const n = (d as ScoreDoc | null)?.ids?.length;
    if (typeof n !== "number") continue; // the shape check below names it
    if (n > JOB_LIMITS.documentTokens) {
      throw new WireError(
        `document ${i} has ${n} tokens, more than the limit of ${JOB_LIMITS.documentTokens} tokens per document`,
      );
    }
    total += n;
  }
  if (total > JOB_LIMITS.jobTokens) {
    throw new WireError(
      `job has ${total} tokens, more than the limit of ${JOB_LIMITS.jobTokens} tokens per job`,
    );
  }
}

/** Checks a job's shape; returns its tables by sequence length. Throws {@linkcode WireError}. */
export function parseJob(
  x: unknown,
): { job: ScoreJob & { docs: ScoreDoc[] }; tables: Map<number, RopeTable> } {
  const job = x as ScoreJob;
  if (typeof job !== "object" || job === null) throw new WireError("job is not an object");
  if (job.v !== WIRE_VERSION) throw new WireError(`job format v${job.v}, this worker reads v${WIRE_VERSION}`);
  if (typeof job.model !== "string" || !/^[0-9a-f]{64}$/.test(job.model)) {
    throw new WireError("job.model must be a sha256 content hash");
  }
  if (!Array.isArray(job.tables) || job.tables.length === 0) throw new WireError("job has no tables");
  if (!Array.isArray(job.docs) || job.docs.length === 0) throw new WireError("job has no documents");
  checkLimits(job.docs, job.tables.length);
  const tables = new Map<number, RopeTable>();
  for (const t of job.tables) {
    if (!Number.isInteger(t?.seqLen) || t.seqLen < 0) {
      throw new WireError("table seqLen must be an integer ≥ 0");
    }
    tables.set(t.seqLen, tableFromWire(t.table));
  }
  if (job.perToken !== undefined && typeof job.perToken !== "boolean") {
    throw new WireError("job.perToken must be boolean");
  }
  for (const [i, d] of job.docs.entries()) {
    const ok = Array.isArray(d?.ids) && d.ids.length >= 2 && d.ids.every(Number.isInteger) &&
      (d.targets === undefined ||
        (Array.isArray(d.targets) && d.targets.length > 0 &&
          d.targets.every((t) => Number.isInteger(t) && t >= 1 && t < d.ids.length)));
    if (!ok) throw new WireError(`document ${i}: ids must be ≥ 2 integers and targets indices in [1, ids)`);
    if (!tables.has(0) && !tables.has(d.ids.length)) {
      throw new WireError(`document ${i}: no table for its length ${d.ids.length}`);
    }
  }
  return { job: job as ScoreJob & { docs: ScoreDoc[] }, tables };
}
