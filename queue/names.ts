/**
 * Redis names shared by clients and workers: one BullMQ queue per model (so a worker only takes jobs
 * for weights it holds) and heartbeat keys that say which models live workers hold.
 *
 * @module
 */

/** The BullMQ queue of jobs for the model with content hash `hash`. */
export function queueName(hash: string): string {
  return `ropekit-score-${hash.slice(0, 16)}`;
}

/** Heartbeat key of one worker holding model `hash` (expires unless refreshed). */
export function heartbeatKey(hash: string, worker: string): string {
  return `ropekit:workers:${hash}:${worker}`;
}

/** Pattern matching the heartbeats of every worker holding model `hash`. */
export function heartbeatPattern(hash: string): string {
  return `ropekit:workers:${hash}:*`;
}

/** How long a heartbeat lives, and how often workers refresh it. */
export const HEARTBEAT_MS = 15_000;
export const HEARTBEAT_EVERY_MS = 5_000;
