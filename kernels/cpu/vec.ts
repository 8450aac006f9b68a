/**
 * Array type of the backward ops. Training runs them on Float32Array; the gradient checks run them on
 * Float64Array so finite differences are not swamped by f32 rounding.
 *
 * @module
 */

/** A dense buffer of values in either precision. */
export type Vec = Float32Array | Float64Array;
