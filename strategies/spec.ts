/** Constructing and checking {@linkcode RopeSpec}s. @module */
import type { Pairing, RopeSpec } from "./types.ts";
import { RopeTableError } from "./table.ts";

/** Fields a caller gives; the rest default (rotaryDim = headDim, maxPositions = L0, pairing half). */
export interface RopeSpecInit {
  /** RoPE base θ (default 10000). */
  theta?: number;
  /** Channels per attention head. */
  headDim: number;
  /** Rotated channels per head (default headDim; less for partial rotary). */
  rotaryDim?: number;
  /** The trained context L0. */
  originalContext: number;
  /** `max_position_embeddings` (default L0). */
  maxPositions?: number;
  /** How channels pair up for rotation (default "half", as HF's rotate_half). */
  pairing?: Pairing;
}

/**
 * Builds a spec with defaults (θ = 10000) and checks it; errors name the field.
 *
 * @example A Llama-style head: 128 channels, trained at 4096 tokens
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeSpec } from "./spec.ts";
 *
 * const spec = makeSpec({ theta: 500000, headDim: 128, originalContext: 4096 });
 * assert.equal(spec.rotaryDim, 128); // every channel rotates unless rotaryDim says otherwise
 * assert.equal(spec.pairing, "half"); // HF's rotate_half layout
 * assert.throws(() => makeSpec({ headDim: 7, originalContext: 4096 }), /rotary_dim must be even/);
 * ```
 */
export function makeSpec(init: RopeSpecInit): RopeSpec {
  const spec: RopeSpec = {
    theta: init.theta ?? 10000,
    headDim: init.headDim,
    rotaryDim: init.rotaryDim ?? init.headDim,
    originalContext: init.originalContext,
    maxPositions: init.maxPositions ?? init.originalContext,
    pairing: init.pairing ?? "half",
  };
  return checkSpec(spec);
}

/** Throws a {@linkcode RopeTableError} naming the first invalid field of `spec`. */
export function checkSpec(spec: RopeSpec): RopeSpec {
  const positiveInt = (k: keyof RopeSpec) => {
    const v = spec[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      throw new RopeTableError(`RoPE spec: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  };
  if (typeof spec.theta !== "number" || !Number.isFinite(spec.theta) || spec.theta <= 1) {
    throw new RopeTableError(
      `RoPE spec: theta (rope_theta) must be a finite number > 1, got ${JSON.stringify(spec.theta)}`,
    );
  }
  positiveInt("headDim");
  positiveInt("rotaryDim");
  positiveInt("originalContext");
  positiveInt("maxPositions");
  if (spec.rotaryDim % 2 !== 0 || spec.rotaryDim > spec.headDim) {
    throw new RopeTableError(
      `RoPE spec: rotary_dim must be even and ≤ head_dim (${spec.headDim}), got ${spec.rotaryDim}`,
    );
  }
  if (spec.rotaryDim < 2) {
    throw new RopeTableError(`RoPE spec: rotary_dim must be at least 2, got ${spec.rotaryDim}`);
  }
  if (spec.pairing !== "half" && spec.pairing !== "interleaved") {
    throw new RopeTableError(
      `RoPE spec: pairing must be "half" or "interleaved", got ${JSON.stringify(spec.pairing)}`,
    );
  }
  return spec;
}
