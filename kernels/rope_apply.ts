/**
 * {@linkcode RopeApply}: the data a RoPE kernel (CPU or GPU) applies. A strategy's table is turned
 * into this by the caller (see `strategies/table.ts`); kernels never know strategy names.
 *
 * @module
 */

/** How to rotate the channels of every head of one [T][nHeads·headDim] activation. */
export interface RopeApply {
  /** Channels rotated per head (even, ≤ headDim); channels ≥ rotaryDim pass through unscaled. */
  rotaryDim: number;
  /** rotaryDim/2 inverse frequencies (radians per token); index i is pair i. */
  invFreq: Float32Array | Float64Array;
  /** Multiplies cos and sin (HF `attention_factor`, YaRN mscale). */
  scale: number;
  /** "interleaved": pair i = channels (2i, 2i+1); "half" (HF rotate_half): (i, i + rotaryDim/2). */
  pairing: "interleaved" | "half";
  /** Position of row 0 (rows are consecutive positions). Default 0. Ignored when `positions` is set. */
  positionOffset?: number;
  /** Positions below this use `originalInvFreq` with scale 1 (LongRoPE's n̂). Default 0. */
  startTokens?: number;
  /** Unscaled frequencies for positions < startTokens; required when startTokens > 0. */
  originalInvFreq?: Float32Array | Float64Array;
  /** Explicit position id per row (packed documents); overrides `positionOffset`. */
  positions?: Int32Array;
}

/** Position id of row `t`. */
export function ropePosition(p: RopeApply, t: number): number {
  return p.positions ? p.positions[t] : (p.positionOffset ?? 0) + t;
}

/**
 * cos and sin of every pair at row `t`, as Hugging Face computes them: angle = float32(pos) ·
 * float32(invFreq) rounded to float32; cos/sin rounded to float32, then multiplied by the scale
 * (scale 1 and the original frequencies below `startTokens`).
 */
export function ropeRowCosSin(p: RopeApply, t: number, cos: Float32Array, sin: Float32Array): void {
  const pos = ropePosition(p, t);
  const early = pos < (p.startTokens ?? 0);
  const freq = early ? p.originalInvFreq! : p.invFreq;
  const scale = early ? 1 : p.scale;
  for (let i = 0; i < p.rotaryDim / 2; i++) {
    const angle = Math.fround(Math.fround(pos) * Math.fround(freq[i]));
    cos[i] = Math.fround(Math.cos(angle)) * scale;
    sin[i] = Math.fround(Math.sin(angle)) * scale;
  }
}

/**
 * The [T][rotaryDim] table the GPU kernel reads: per row, rotaryDim/2 cosines then rotaryDim/2
 * sines. Computed on the host once per forward pass (shared by all layers) so GPU and CPU agree
 * bit for bit on the angles (WGSL cos/sin are approximate and poorly range-reduced on some drivers).
 */
export function ropeCosSinTable(p: RopeApply, T: number): Float32Array<ArrayBuffer> {
  const pairs = p.rotaryDim / 2;
  const table = new Float32Array(T * p.rotaryDim);
  for (let t = 0; t < T; t++) {
    const row = t * p.rotaryDim;
    ropeRowCosSin(p, t, table.subarray(row, row + pairs), table.subarray(row + pairs, row + 2 * pairs));
  }
  return table;
}

/** Throws a RangeError naming the field when `p` cannot be applied to heads of `headDim` channels. */
export function checkRopeApply(p: RopeApply, headDim: number, T: number): void {
  const { rotaryDim } = p;
  if (!Number.isInteger(rotaryDim) || rotaryDim <= 0 || rotaryDim % 2 !== 0 || rotaryDim > headDim) {
    throw new RangeError(`RopeApply.rotaryDim ${rotaryDim} must be even and in (0, headDim=${headDim}]`);
  }
  if (p.invFreq.length !== rotaryDim / 2) {
    throw new RangeError(`RopeApply.invFreq has ${p.invFreq.length} entries, expected ${rotaryDim / 2}`);
  }
  if ((p.startTokens ?? 0) > 0 && p.originalInvFreq?.length !== rotaryDim / 2) {
    throw new RangeError(`RopeApply.originalInvFreq needs ${rotaryDim / 2} entries when startTokens > 0`);
  }
  if (p.positions && p.positions.length < T) {
    throw new RangeError(`RopeApply.positions has ${p.positions.length} entries for ${T} rows`);
  }
}
