/**
 * AdamW (decoupled weight decay) with clipping by global gradient norm, and the warm-up + cosine
 * learning-rate schedule. State is plain Float32Arrays so checkpoints can store it exactly.
 *
 * @module
 */

/** Hyper-parameters of {@linkcode AdamW}. */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled decay, applied only to the tensors marked in `decay`. Default 0.1. */
  weightDecay?: number;
  /** Global gradient norm above which gradients are scaled down. Default 1; Infinity disables. */
  clipNorm?: number;
}

/** AdamW over a fixed list of parameter tensors. */
export class AdamW {
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  /** Updates applied so far (Adam's bias correction uses it). */
  step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly clipNorm: number;

  /** `decay[i]` says whether params[i] is decayed (matrices yes; norms and biases no, as is usual). */
  constructor(readonly params: Float32Array[], readonly decay: boolean[], opts: AdamWOptions = {}) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.95;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.1;
    this.clipNorm = opts.clipNorm ?? 1;
  }

  /** One update with learning rate `lr` from `grads` (same order as params). Returns the norm before clipping. */
  update(grads: Float32Array[], lr: number): number {
    const norm = globalNorm(grads);
    const clip = norm > this.clipNorm ? this.clipNorm / norm : 1;
    this.step++;
    const c1 = 1 - this.beta1 ** this.step, c2 = 1 - this.beta2 ** this.step;
    const { beta1: b1, beta2: b2, eps } = this;
    this.params.forEach((p, i) => {
      const g = grads[i], m = this.m[i], v = this.v[i];
      const shrink = this.decay[i] ? 1 - lr * this.weightDecay : 1;
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] * clip;
        m[j] = b1 * m[j] + (1 - b1) * gj;
        v[j] = b2 * v[j] + (1 - b2) * gj * gj;
        p[j] = p[j] * shrink - lr * (m[j] / c1) / (Math.sqrt(v[j] / c2) + eps);
      }
    });
    return norm;
  }
}

/** √(Σ g²) over all tensors, summed in f64. */
export function globalNorm(grads: Float32Array[]): number {
  let ss = 0;
  for (const g of grads) for (let j = 0; j < g.length; j++) ss += g[j] * g[j];
  return Math.sqrt(ss);
}

/** The learning-rate schedule's parameters. */
export interface Schedule {
  peakLr: number;
  /** Steps of linear warm-up from peakLr/warmupSteps to peakLr. */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (and stays). */
  totalSteps: number;
  minLr: number;
}

/** Learning rate of update number `step` (0-based): linear warm-up, then cosine decay to minLr. */
export function learningRate(s: Schedule, step: number): number {
  if (step < s.warmupSteps) return s.peakLr * (step + 1) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  return s.minLr + 0.5 * (s.peakLr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
