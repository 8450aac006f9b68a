/**
 * `--queue URL` and `--secret S` of the CLI commands: the queue scorer for a loaded model, with queue
 * problems turned into one-line CLI errors.
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import { CliError } from "./args.ts";
import { QueueError } from "../queue/connection.ts";
import { modelHash } from "../queue/model_hash.ts";
import { QueueScorer } from "../queue/queue_scorer.ts";
import { queueSecret, SECRET_ENV } from "../queue/signing.ts";

/** The flags, for parseFlags. */
export const QUEUE_OPTIONS = { queue: { type: "string" }, secret: { type: "string" } } as const;

/** Their usage lines. */
export const QUEUE_USAGE =
  `  --secret S             the queue's shared secret (default $${SECRET_ENV}): jobs and results are
                         signed with it (HMAC-SHA256), and what is not signed is refused`;

/** The secret from `--secret` or the environment; undefined for an open queue. */
export function secretFromFlags(values: Record<string, unknown>): string | undefined {
  const flag = values.secret as string | undefined;
  if (flag === "") throw new CliError("--secret must not be empty");
  return queueSecret(flag);
}

/** Connects a scorer for `model` to the workers on `url`. */
export async function openQueueScorer(url: string, model: Model, secret?: string): Promise<QueueScorer> {
  try {
    return await QueueScorer.open(url, modelHash(model), { modelLabel: model.source, secret });
  } catch (e) {
    throw e instanceof QueueError ? new CliError(e.message) : e;
  }
}
