/**
 * One training run: weights, AdamW state, the data position and the loss history. A step takes
 * `accumulation` micro-batches of `batchSize` windows, sums their gradients (each scaled by
 * 1/tokens of the whole step, so the result is the gradient of the step's mean loss), clips and updates.
 *
 * With `long` set, every micro-batch also holds long windows, as LongRoPE2's mixed context window
 * training does: the short windows keep per-document masks and the original RoPE, the long ones
 * attend fully under the rescaled RoPE given as `longRope`, drawn from their own stream of long
 * documents (`longData`) when one is given.
 *
 * @module
 */
import type { RopeApply } from "../kernels/rope_apply.ts";
import type { LlamaWeights } from "../model/config.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { ropeFromJson, ropeToJson } from "./checkpoint.ts";
import { DocumentStream, type DocumentStreamOptions, makeWindow } from "./data.ts";
import { initWeights } from "./init.ts";
import { forwardBackward, type TrainWindow } from "./model_grad.ts";
import { AdamW, learningRate } from "./optimizer.ts";
import { decayMask, parameterList, zeroGradients } from "./params.ts";
import type { TrainOptions } from "./options.ts";

/** What one step reports. */
export interface StepResult {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

/** A run in progress. */
export class Trainer {
  readonly optimizer: AdamW;
  /** Mean loss of every step so far (index = step). */
  readonly losses: number[] = [];
  private readonly grads: LlamaWeights;
  private readonly gradList: Float32Array[];

  constructor(
    readonly weights: LlamaWeights,
    readonly data: DocumentStream,
    readonly rope: RopeApply,
    readonly opts: TrainOptions,
    readonly longRope?: RopeApply,
    readonly longData?: DocumentStream,
  ) {
    if (opts.long && !longRope) throw new RangeError("TrainOptions.long needs a longRope");
    this.optimizer = new AdamW(parameterList(weights), decayMask(weights), opts.adamw);
    this.grads = zeroGradients(weights);
    this.gradList = parameterList(this.grads);
  }

  /** Updates applied so far. */
  get step(): number {
    return this.optimizer.step;
  }

  /** The windows of the next micro-batch: `batchSize` short ones, then the long ones if any. */
  microBatch(): TrainWindow[] {
    const { seqLen, batchSize, documentMasks, long } = this.opts;
    const bos = this.weights.config.bosId;
    const shortRope = long?.shortRope === "rescaled" ? this.longRope! : this.rope;
    const windows = Array.from(
      { length: batchSize },
      () => makeWindow(this.data.next(seqLen), shortRope, bos, documentMasks),
    );
    for (let i = 0; i < (long?.windows ?? 0); i++) {
      windows.push({ tokens: (this.longData ?? this.data).next(long!.seqLen), rope: this.longRope! });
    }
    return windows;
  }

  /** One optimizer step. */
  trainStep(): StepResult {
    const { seqLen, batchSize, accumulation, long } = this.opts;
    for (const g of this.gradList) g.fill(0);
    const total = (seqLen * batchSize + (long ? long.seqLen * long.windows : 0)) * accumulation;
    let nll = 0;
    for (let a = 0; a < accumulation; a++) {
      nll += forwardBackward(this.weights, this.grads, this.microBatch(), { lossScale: 1 / total }).nllSum;
    }
    const step = this.step;
    const lr = learningRate(this.opts.schedule, step);
    const gradNorm = this.optimizer.update(this.gradList, lr);
    const loss = nll / total;
    this.losses.push(loss);
    return { step, loss, lr, gradNorm, tokens: total };
  }

  /** The run's full state; `meta` is stored as is (e.g. the corpus seed). */
  checkpoint(meta: Record<string, unknown> = {}): Checkpoint {
    return {
      header: {
        config: this.weights.config,
        tied: this.weights.classifier === this.weights.embedding,
        step: this.step,
        position: { ...this.data.position },
        longPosition: this.longData && { ...this.longData.position },
        losses: [...this.losses],
        options: this.opts,
        rope: ropeToJson(this.rope),
        longRope: this.longRope && ropeToJson(this.longRope),
        meta,
      },
      params: parameterList(this.weights),
      m: this.optimizer.m,
      v: this.optimizer.v,
    };
  }

  /** Rebuilds a run from a checkpoint over the same documents (and long documents, if it had them). */
  static resume(
    ck: Checkpoint,
    docAt: (i: number) => Int32Array,
    longDocAt?: (i: number) => Int32Array,
    stream: DocumentStreamOptions = {},
  ): Trainer {
    const h = ck.header;
    const weights = initWeights(h.config, { seed: 0, tied: h.tied, std: 0 });
    parameterList(weights).forEach((p, i) => p.set(ck.params[i]));
    const data = new DocumentStream(docAt, stream);
    data.position = { ...h.position };
    const longRope = h.longRope && ropeFromJson(h.longRope);
    let longData: DocumentStream | undefined;
    if (h.longPosition) {
      if (!longDocAt) throw new RangeError("this checkpoint has a long-document stream: pass its documents");
      longData = new DocumentStream(longDocAt);
      longData.position = { ...h.longPosition };
    }
    const t = new Trainer(weights, data, ropeFromJson(h.rope), h.options, longRope, longData);
    t.optimizer.m.forEach((m, i) => m.set(ck.m[i]));
    t.optimizer.v.forEach((v, i) => v.set(ck.v[i]));
    t.optimizer.step = h.step;
    t.losses.push(...h.losses);
    return t;
  }
}
