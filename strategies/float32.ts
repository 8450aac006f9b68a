/**
 * Float32 arithmetic as PyTorch does it on CPU, so tables match Hugging Face bit for bit
 * (HF builds `inv_freq` as float32 tensors; a Python scalar meeting a float32 tensor is first
 * rounded to float32). `f` rounds a float64 result to the nearest float32: for +, −, ×, ÷ and
 * sqrt of float32 operands this is exactly the correctly rounded float32 operation.
 *
 * @module
 */

/** Round to the nearest float32. */
export const f = Math.fround;

/**
 * HF's base exponents and powers: `p_i = θ ** (float32(2i) / d)` for i < d/2, as float32.
 * `Math.pow` on float32 inputs rounded once gives the correctly rounded float32 power; PyTorch's
 * vectorised powf is within 1 ulp of that, which the 2-ulp parity budget covers.
 */
export function basePowers(theta: number, rotaryDim: number): Float64Array {
  const pairs = rotaryDim / 2;
  const out = new Float64Array(pairs);
  const base = f(theta);
  for (let i = 0; i < pairs; i++) out[i] = f(Math.pow(base, f((2 * i) / rotaryDim)));
  return out;
}

/** `1.0 / (θ ** (2i/d))` in float32: the unscaled inverse frequencies. */
export function baseInvFreq(theta: number, rotaryDim: number): Float64Array {
  return basePowers(theta, rotaryDim).map((p) => f(1 / p));
}
