/**
 * Jobs on disk, so finished results survive a restart and a crash never loses a job silently:
 * `<data>/jobs/<id>.json` holds the record (written on every state change), `<id>.report.json` the
 * result. Every write goes through util/state_file.ts (temporary file, fsync, rename), so a crash
 * leaves the old version or the new one, never half of either. Reading is tolerant: a record of the
 * wrong shape is skipped and named, never a reason for the server not to start.
 *
 * @module
 */
import { join } from "node:path";
import type { CompareReport } from "../compare/compare.ts";
import type { CompareJobSpec } from "./compare_job.ts";
import { StateFileError, writeStateFile } from "../util/state_file.ts";
import type { JobState, JobStatus } from "../compare/api_records.ts";

/** Statuses a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = ["done", "failed", "cancelled", "interrupted"];

/** A compare job as the server keeps it; `GET /api/jobs/:id` shows it without the request's file paths. */
export interface JobRecord extends JobState {
  request: CompareJobSpec;
}

/** Job ids are UUIDs: checked before any id reaches a path. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The records and reports under one data directory. */
export class JobStore {
  readonly dir: string;
  constructor(dataDir: string) {
    this.dir = join(dataDir, "jobs");
  }

  #write(name: string, text: string): Promise<void> {
    return writeStateFile(join(this.dir, name), text);
  }

  save(record: JobRecord): Promise<void> {
    return this.#write(`${record.id}.json`, JSON.stringify(record, null, 1));
  }

  saveReport(id: string, report: CompareReport): Promise<void> {
    return this.#write(`${id}.report.json`, JSON.stringify(report));
  }

  /**
   * The report of a finished job, or undefined; a report file that is not JSON is a
   * {@linkcode StateFileError} naming it (the server answers 500 with an id).
   */
  async readReport(id: string): Promise<CompareReport | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    const path = join(this.dir, `${id}.report.json`);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw new StateFileError(`cannot read the report of job ${id} (${path}): ${(e as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new StateFileError(
        `the report of job ${id} (${path}) is not valid JSON: ${(e as Error).message}`,
      );
    }
  }

  /** Every well-formed record on disk, oldest first; any other file is named on stderr and skipped. */
  async loadAll(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    try {
      for await (const e of Deno.readDir(this.dir)) {
        const m = /^(.+)\.json$/.exec(e.name);
        if (!e.isFile || !m || !JOB_ID.test(m[1])) continue;
        const path = join(this.dir, e.name);
        try {
          const record = JSON.parse(await Deno.readTextFile(path));
          const why = recordProblem(record, m[1]);
          if (why) throw new Error(why);
          out.push(record);
        } catch (err) {
          console.error(`warning: skipping job file ${path}: ${(err as Error).message}`);
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }
}

const STATUSES: readonly string[] = ["queued", "running", ...FINAL_STATUSES];

/** Why `record` (parsed from `<id>.json`) is not a job record the server can use, or undefined. */
function recordProblem(record: unknown, id: string): string | undefined {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return "not a JSON object";
  const r = record as Record<string, unknown>;
  if (r.id !== id) return `"id" is ${JSON.stringify(r.id)}, not the file's name`;
  if (typeof r.status !== "string" || !STATUSES.includes(r.status)) {
    return `"status" ${JSON.stringify(r.status)} is not one of ${STATUSES.join(", ")}`;
  }
  if (typeof r.created !== "string" || Number.isNaN(Date.parse(r.created))) {
    return `"created" ${JSON.stringify(r.created)} is not a date`;
  }
  const request = r.request as Record<string, unknown> | null | undefined;
  if (request === null || typeof request !== "object" || !Array.isArray(request.strategies)) {
    return `"request" is missing or has no "strategies" list`;
  }
  if (typeof request.modelSource !== "string" || typeof request.textSource !== "string") {
    return `"request" has no model or text source`;
  }
  return undefined;
}
