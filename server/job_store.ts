/**
 * Jobs on disk, so finished results survive a restart and a crash never loses a job silently:
 * `<data>/jobs/<id>.json` holds the record (written on every state change), `<id>.report.json` the
 * result. Writes go to a temporary file and are renamed into place, so a crash leaves the old
 * version or the new one, never half of either.
 *
 * @module
 */
import { join } from "node:path";
import type { CompareReport } from "../compare/compare.ts";
import type { CompareJobSpec } from "./compare_job.ts";

/** Where a job is in its life (`interrupted`: records of versions that did not resume jobs). */
export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted";

/** Statuses a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = ["done", "failed", "cancelled", "interrupted"];

/** What `GET /api/jobs/:id` shows (without the report). */
export interface JobRecord {
  id: string;
  status: JobStatus;
  request: CompareJobSpec;
  created: string;
  started?: string;
  finished?: string;
  /** Why it failed, was cancelled or interrupted. */
  error?: string;
  /** The latest progress event. */
  progress?: { task: string; done: number; total: number };
  /** Times the server stopped while running it and started it again (absent: never). */
  restarts?: number;
}

/** Job ids are UUIDs: checked before any id reaches a path. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The records and reports under one data directory. */
export class JobStore {
  readonly dir: string;
  constructor(dataDir: string) {
    this.dir = join(dataDir, "jobs");
  }

  async #write(name: string, text: string): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.${crypto.randomUUID()}.tmp`);
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, join(this.dir, name));
  }

  save(record: JobRecord): Promise<void> {
    return this.#write(`${record.id}.json`, JSON.stringify(record, null, 1));
  }

  saveReport(id: string, report: CompareReport): Promise<void> {
    return this.#write(`${id}.report.json`, JSON.stringify(report));
  }

  /** The report of a finished job, or undefined. */
  async readReport(id: string): Promise<CompareReport | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    try {
      return JSON.parse(await Deno.readTextFile(join(this.dir, `${id}.report.json`)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }

  /** Every record on disk, oldest first; unreadable files are reported, not fatal. */
  async loadAll(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    try {
      for await (const e of Deno.readDir(this.dir)) {
        const m = /^(.+)\.json$/.exec(e.name);
        if (!e.isFile || !m || !JOB_ID.test(m[1])) continue;
        try {
          out.push(JSON.parse(await Deno.readTextFile(join(this.dir, e.name))));
        } catch (err) {
          console.error(`warning: skipping unreadable job file ${e.name}: ${(err as Error).message}`);
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }
}
