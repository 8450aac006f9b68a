/**
 * A {@linkcode LanguageModel} whose scoring runs on queue workers: `nll` sends a job, `generate`
 * (passkey retrieval's greedy decoding, token by token) stays on the local model, where a round trip
 * per token would cost more than it saves. Evaluation code (compare's metrics) runs unchanged on it.
 *
 * @module
 */
import type { LanguageModel } from "../eval/language_model.ts";
import type { QueueScorer } from "./queue_scorer.ts";

/**
 * `model` with its forward passes sent to `scorer`'s workers (which hold the same weights). Once
 * `signal` is aborted, a call waiting for a worker rejects with its reason.
 */
export function queueModel(model: LanguageModel, scorer: QueueScorer, signal?: AbortSignal): LanguageModel {
  return {
    spec: model.spec,
    tokenizer: model.tokenizer,
    nll: async (windows, table) => ({ nll: await scorer.nll(windows, table, signal) }),
    generate: (promptIds, table, maxTokens) => model.generate(promptIds, table, maxTokens),
  };
}
