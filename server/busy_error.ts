/**
 * The server's one "not now" error: a request it cannot take while others of its kind run (the job queue,
 * the search slots, an export). The status table answers every subclass with 429 and its Retry-After.
 *
 * @module
 */
import { RopekitError } from "../util/errors.ts";

/** A request the server cannot take now; the client retries after `retryAfter` seconds. */
export class BusyError extends RopekitError {
  constructor(message: string, readonly retryAfter: number) {
    super(message);
  }
}
