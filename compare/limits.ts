/**
 * The most one comparison may ask for: the server refuses requests beyond these (server/api_schemas.ts)
 * and queue workers refuse jobs beyond them (queue/limits.ts), so a job sent to a worker directly
 * through Redis cannot ask for more than a request to the server can.
 *
 * @module
 */

/** Limits on one evaluation. */
export const EVAL_LIMITS = {
  /** Longest evaluation length in tokens: a forward pass's activations grow linearly with it. */
  length: 65536,
  /** Windows or documents per length. */
  samples: 64,
  /** Evaluation lengths in one comparison. */
  lengths: 8,
  /** Needle depths. */
  depths: 16,
  /** Strategies in one comparison. */
  strategies: 8,
} as const;
