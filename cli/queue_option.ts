/**
 * `--queue URL` of the CLI commands: the queue scorer for a loaded model, with queue problems turned
 * into one-line CLI errors.
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import { CliError } from "./args.ts";
import { QueueError } from "../queue/connection.ts";
import { modelHash } from "../queue/model_hash.ts";
import { QueueScorer } from "../queue/queue_scorer.ts";

/** Connects a scorer for `model` to the workers on `url`. */
export async function openQueueScorer(url: string, model: Model): Promise<QueueScorer> {
  try {
    return await QueueScorer.open(url, modelHash(model), { modelLabel: model.source });
  } catch (e) {
    throw e instanceof QueueError ? new CliError(e.message) : e;
  }
}
