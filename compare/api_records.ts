/**
 * The records ropekit's HTTP API sends about runs — a compare job's state, the runs list, search jobs —
 * declared once. The server (`server/`) builds them and the web page (`web/api.ts`) reads them; web/ may
 * import compare/ but not server/ (tools/check_imports.ts), so they live here, beside the compare
 * report's own wire type (report_types.ts). Types only.
 *
 * @module
 */
import type { Params } from "../strategies/types.ts";

/** Where a compare job is in its life (`interrupted`: records of versions that did not resume jobs). */
export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted";

/** A compare job as `GET /api/jobs/:id` shows it, less its request (and its report, sent beside it). */
export interface JobState {
  id: string;
  status: JobStatus;
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

/** One row of `GET /api/runs`, whatever the kind of job. */
export interface RunSummary {
  id: string;
  kind: "compare" | "search";
  status: string;
  model: string;
  /** Labels as the user set them (compare), or the searched strategy. */
  strategies: string[];
  lengths: number[];
  created: string;
  started?: string;
  finished?: string;
  /** Seconds from start to end (or to now while running). */
  seconds?: number;
  restarts: number;
  error?: string;
}

/** What `POST /api/searches` takes (its schema: server/search_jobs.ts `searchRequestSchema`). */
export interface SearchRequest {
  model: string;
  text?: string;
  /** longrope2, longrope, or any strategy whose declared parameters are searched. */
  strategy: string;
  target: number;
  /** Evaluations ("500") or a time ("30m"); absent: the loop's own end. */
  budget?: string;
  seeds?: number;
  seed?: number;
  population?: number;
  generations?: number;
  samples?: number;
  /** Fraction of the text the search documents come from (the rest is held out). */
  text_range?: [number, number];
  finalists?: number;
}

/** One generation as the page draws it: the best fitness so far and that candidate's spread. */
export interface GenerationPoint {
  seed: number;
  generation: number;
  /** Best fitness so far (lower is better). */
  best: number;
  /** Standard error of the best candidate's mean NLL over its documents (the fitness is exp of it). */
  nll_stderr?: number;
  /** The best candidate's critical index (LongRoPE2). */
  critical_index?: number;
}

/** Live state of a running search job. */
export interface SearchJobProgress {
  generations: GenerationPoint[];
  evaluated: number;
  /** The child's last progress line (evaluations planned, rate, ETA in its words). */
  line?: string;
  eta?: string;
}

/** What a search job's result offers a comparison. */
export interface SearchOutcome {
  strategy: string;
  /** The result of the best seed: pass as the strategy entry's params. */
  params: Params;
  fitness: number;
  fitness_stderr?: number;
  seeds: { seed: number; fitness: number; fitness_stderr?: number }[];
}

/** A search job as `GET /api/searches/:id` shows it. */
export interface SearchRecord {
  id: string;
  kind: "search";
  status: "queued" | "running" | "done" | "failed" | "cancelled";
  request: SearchRequest;
  created: string;
  started?: string;
  finished?: string;
  error?: string;
  restarts?: number;
  progress?: SearchJobProgress;
  result?: SearchOutcome;
}
