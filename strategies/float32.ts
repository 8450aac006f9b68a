/**
 * Float32 arithmetic as PyTorch does it on CPU, so tables match Hugging Face bit for bit
 * (HF builds `inv_freq` as float32 tensors; a Python scalar meeting a float32 tensor is first
 * rounded to float32). `f` rounds a float64 result to the nearest float32: for +, −, ×, ÷ and
 * sqrt of float32 operands this is exactly the correctly rounded float32 operation.
 *
 * The one operation that is not correctly rounded in PyTorch is `base ** tensor`: on x86 CPUs with
 * AVX2 it runs SLEEF's vectorised powf over full blocks of 16 and glibc's powf over the tail, which
 * differ from the correctly rounded power on ~1.7% of inputs (by 1 ulp; llama3's and YaRN's blends
 * amplify that to several). ropekit emulates exactly what PyTorch computes (`sleef_powf.ts`), for
 * the CPU model chosen with {@linkcode setTorchCpu}.
 *
 * @module
 */
import { torchPowVector } from "./sleef_powf.ts";

/** Round to the nearest float32. */
export const f = Math.fround;

/**
 * Which PyTorch CPU kernel `base ** tensor` is emulated for: "avx2" (x86 with AVX2/FMA, the default
 * PyTorch build on current x86 machines; measured bit-exact on 1.7M samples), "avx512" (blocks of 32;
 * same SLEEF algorithm, not measured here), or "scalar" (`ATEN_CPU_CAPABILITY=default`: glibc powf
 * for every element).
 */
export type TorchCpu = "avx2" | "avx512" | "scalar";

const VECTOR_WIDTH: Record<TorchCpu, number> = { avx2: 8, avx512: 16, scalar: 0 };
let torchCpu: TorchCpu = "avx2";

/** Chooses the PyTorch CPU kernel the base powers emulate (see {@linkcode TorchCpu}). */
export function setTorchCpu(cpu: TorchCpu): void {
  if (!(cpu in VECTOR_WIDTH)) throw new RangeError(`unknown torch CPU model "${cpu}" (avx2, avx512, scalar)`);
  torchCpu = cpu;
}

/** The current PyTorch CPU model. */
export function getTorchCpu(): TorchCpu {
  return torchCpu;
}

/** HF's base powers `p_i = θ ** (float32(2i) / d)` for i < d/2, as PyTorch computes them. */
export function basePowers(theta: number, rotaryDim: number): Float64Array {
  return basePowersOver(theta, rotaryDim / 2, rotaryDim);
}

/**
 * `θ ** (float32(2i) / denominator)` for i < count, as one PyTorch vector op (the vector length
 * decides which elements SLEEF computes). Proportional RoPE rotates `count` pairs over the full head.
 */
export function basePowersOver(theta: number, count: number, denominator: number): Float64Array {
  const exps = new Float64Array(count);
  for (let i = 0; i < count; i++) exps[i] = f((2 * i) / denominator);
  return torchPowVector(f(theta), exps, VECTOR_WIDTH[torchCpu]);
}

/** `1.0 / (θ ** (2i/d))` in float32: the unscaled inverse frequencies. */
export function baseInvFreq(theta: number, rotaryDim: number): Float64Array {
  return basePowers(theta, rotaryDim).map((p) => f(1 / p));
}
