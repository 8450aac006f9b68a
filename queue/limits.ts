/**
 * What one queue job may hold, derived from the limits of one comparison (compare/limits.ts) so a job
 * written into Redis by hand cannot ask a worker for more than a request to the server can. A job
 * beyond them is refused for good before any forward pass (see docs/queue.md, "Limits").
 *
 * @module
 */
import { EVAL_LIMITS } from "../compare/limits.ts";

/** Limits on one job. */
export const JOB_LIMITS = {
  /** Tokens in one document: one forward pass, whose memory grows linearly with it. */
  documentTokens: EVAL_LIMITS.length,
  /** Documents in one job: a search sends its samples at every needle depth at once. */
  documents: EVAL_LIMITS.samples * EVAL_LIMITS.depths,
  /** Tokens over all of a job's documents: the most one comparison scores at one length. */
  jobTokens: EVAL_LIMITS.length * EVAL_LIMITS.samples,
} as const;
