/**
 * Messages between a queue worker's main thread and its model thread (model_thread.ts).
 *
 * @module
 */
import type { RopeSpec } from "../strategies/types.ts";
import type { ScoreResult } from "./wire.ts";

/** A model for the thread to load: what `loadModel` and `selectBackend` take, as data. */
export interface ModelToLoad {
  path: string;
  /** llama2.c tokenizer file, when not beside the model. */
  tokenizer?: string;
  /** RoPE spec overrides (they change the model's hash). */
  spec?: Partial<RopeSpec>;
  /** Backend name (default auto). */
  backend?: string;
}

/** From the main thread. */
export type ThreadRequest =
  | { type: "load"; models: ModelToLoad[] }
  | { type: "job"; id: number; hash: string; data: unknown };

/** From the model thread. */
export type ThreadReply =
  | { type: "loaded"; models: { hash: string; source: string }[] }
  | { type: "load-failed"; error: string }
  | { type: "done"; id: number; result: Omit<ScoreResult, "worker"> }
  /** `stack` only for a failure that is not the job's fault (a bug), for the worker's log. */
  | { type: "failed"; id: number; error: string; permanent: boolean; stack?: string };
