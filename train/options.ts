/**
 * A training run's hyper-parameters, stored in its checkpoints (a module of its own so that the trainer
 * and the checkpoint format both depend on it, not on each other).
 *
 * @module
 */
import type { AdamWOptions, Schedule } from "./optimizer.ts";

/** Hyper-parameters of a run (stored in checkpoints). */
export interface TrainOptions {
  seqLen: number;
  /** Windows per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimizer step. */
  accumulation: number;
  schedule: Schedule;
  adamw: AdamWOptions;
  /** Per-document attention masks and restarting positions for packed documents. */
  documentMasks: boolean;
  /**
   * Long windows per micro-batch (full attention, the trainer's `longRope`), for LongRoPE2's mixed
   * context window training. `shortRope: "rescaled"` is the ablation without mixing: the short windows
   * take the rescaled RoPE too (default "original": the model's own RoPE).
   */
  long?: { seqLen: number; windows: number; shortRope?: "original" | "rescaled" };
}
