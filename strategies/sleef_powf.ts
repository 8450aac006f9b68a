/**
 * Bit-exact emulation of PyTorch's CPU float32 `base ** tensor` on x86 with AVX2 (and the shape of
 * the AVX-512 path), i.e. what Hugging Face's `base ** (arange(0, d, 2).float() / d)` returns there.
 *
 * ATen's `pow_tensor_tensor_kernel` runs through `cpu_kernel_vec`: the loop takes blocks of two
 * vectors (2 × 8 floats on AVX2, 2 × 16 on AVX-512) through SLEEF's `Sleef_powf{8,16}_u10`, and the
 * remaining tail (fewer than one block) through scalar `std::pow` (libm `powf`). Measured with
 * tools/torch_powf_samples.py on torch 2.14.1 / AVX2: a tensor of length n takes the vector path for
 * indices < n − n % 16, and the scalar path for the rest.
 *
 * `std::pow(float, float)` is glibc's powf, which is *not* always correctly rounded; `glibcPowf`
 * models it (matches ATEN_CPU_CAPABILITY=default torch on all 1.68 M samples measured).
 *
 * `sleefPowf` re-implements the algorithm of SLEEF's `xpowf` (u10; unchanged from SLEEF 3.5
 * through 3.9): `exp(y · log|x|)` with `log` and `exp` carried in double-float (a pair of float32s)
 * arithmetic, on a target with hardware FMA (SLEEF's AVX2 helper defines `ENABLE_FMA_SP`, so
 * `vmla` and the double-float products use fused multiply-adds). Every float32 operation is
 * emulated exactly: `Math.fround` after +, −, ×, ÷ of float32 operands is the correctly rounded
 * float32 result (float64 has ≥ 2·24 + 2 bits, so the double rounding is innocuous), and `fma32`
 * rounds the exact `a·b + c` once. The AVX-512 build of SLEEF computes the log's exponent and
 * mantissa with `getexp`/`getmant` instead; for normal, positive inputs that gives the same `e` and
 * `m`, so `torchPowVector(…, 16)` is a model of AVX-512 too, but only AVX2 has been checked.
 *
 * @module
 */

const fr = Math.fround;

// ---- float32 bit helpers ----------------------------------------------------------------------------
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const i32 = new Int32Array(f32.buffer);

function bitsOf(x: number): number {
  f32[0] = x;
  return i32[0];
}
function fromBits(b: number): number {
  i32[0] = b | 0;
  return f32[0];
}
/** Float32 neighbour of float32 `x` towards +∞ (`up`) or −∞. Finite x only. */
function step32(x: number, up: boolean): number {
  if (x === 0) return up ? fromBits(1) : -fromBits(1);
  f32[0] = x;
  const neg = u32[0] >>> 31 === 1;
  u32[0] = (u32[0] + ((up !== neg) ? 1 : -1)) >>> 0;
  return f32[0];
}

/** Correctly rounded float32 fused multiply-add `a·b + c` of float32 operands. */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b; // exact: 24 × 24 bits fit in 53
  const s = p + c;
  const r = fr(s);
  if (r === s || !Number.isFinite(s)) return r;
  // exact error of the float64 sum (two-sum)
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb);
  if (err === 0) return r;
  // Double rounding can only go wrong when s landed exactly on a float32 midpoint.
  const other = step32(r, s > r);
  const mid = (r + other) / 2; // exact in float64
  if (s !== mid) return r;
  const hi = Math.max(r, other), lo = Math.min(r, other);
  return err > 0 ? hi : lo;
}

// float32 primitives (operands are float32 values)
const add = (a: number, b: number) => fr(a + b);
const sub = (a: number, b: number) => fr(a - b);
const mul = (a: number, b: number) => fr(a * b);
/** x·y − z, fused (vfmapn / vfmsub). */
const fmapn = (x: number, y: number, z: number) => fma32(x, y, -z);
/** −x·y + z, fused (vfmanp / vfnmadd). */
const fmanp = (x: number, y: number, z: number) => fma32(-x, y, z);

// ---- double-float ("df") arithmetic: value = hi + lo, both float32 -------------------------------
type DF = [number, number];

function dfAdd2FF(x: number, y: number): DF {
  const s = add(x, y);
  const v = sub(s, x);
  return [s, add(sub(x, sub(s, v)), sub(y, v))];
}
function dfAdd2DF_F(x: DF, y: number): DF {
  const s = add(x[0], y);
  const v = sub(s, x[0]);
  const t = add(sub(x[0], sub(s, v)), sub(y, v));
  return [s, add(t, x[1])];
}
function dfAdd2DF_DF(x: DF, y: DF): DF {
  const s = add(x[0], y[0]);
  const v = sub(s, x[0]);
  const t = add(sub(x[0], sub(s, v)), sub(y[0], v));
  return [s, add(t, add(x[1], y[1]))];
}
/** Fast two-sum (assumes |x| ≥ |y|): lo = ((x.hi − s) + y.hi) + x.lo + y.lo, left to right. */
function dfAddDF_DF(x: DF, y: DF): DF {
  const s = add(x[0], y[0]);
  return [s, add(add(add(sub(x[0], s), y[0]), x[1]), y[1])];
}
function dfAddF_DF(x: number, y: DF): DF {
  const s = add(x, y[0]);
  return [s, add(add(sub(x, s), y[0]), y[1])];
}
function dfNormalize(t: DF): DF {
  const s = add(t[0], t[1]);
  return [s, add(sub(t[0], s), t[1])];
}
function dfScale(d: DF, s: number): DF {
  return [mul(d[0], s), mul(d[1], s)];
}
function dfMulDF_F(x: DF, y: number): DF {
  const s = mul(x[0], y);
  return [s, fma32(x[1], y, fmapn(x[0], y, s))];
}
function dfMulDF_DF(x: DF, y: DF): DF {
  const s = mul(x[0], y[0]);
  return [s, fma32(x[0], y[1], fma32(x[1], y[0], fmapn(x[0], y[0], s)))];
}
function dfSqu(x: DF): DF {
  const s = mul(x[0], x[0]);
  return [s, fma32(add(x[0], x[0]), x[1], fmapn(x[0], x[0], s))];
}
function dfDiv(n: DF, d: DF): DF {
  const t = fr(1 / d[0]);
  const s = mul(n[0], t);
  const u = fmapn(t, n[0], s);
  const v = fmanp(d[1], t, fmanp(d[0], t, 1));
  return [s, fma32(s, v, fma32(n[1], t, u))];
}

// ---- constants (float32 values of SLEEF's literals) ---------------------------------------------
const FLT_MIN = 2 ** -126;
const TWO64 = 2 ** 64;
const R_0_75 = fr(1 / 0.75); // 1.0f / 0.75f
const LN2_HI = fr(0.69314718246459960938);
const LN2_LO = fr(-1.904654323148236017e-09);
const LOG_T0 = fr(0.240320354700088500976562);
const LOG_T1 = fr(0.285112679004669189453125);
const LOG_T2 = fr(0.400007992982864379882812);
const LOG_C_HI = fr(0.66666662693023681640625);
const LOG_C_LO = fr(3.69183861259614332084311e-09);
const R_LN2F = fromBits(0x3fb8aa3b); // 1.44269502162933349609375
const L2UF = fr(0.693145751953125);
const L2LF = fr(1.428606765330187045e-06);
const EXP_C0 = fr(0.00136324646882712841033936);
const EXP_C1 = fr(0.00836596917361021041870117);
const EXP_C2 = fr(0.0416710823774337768554688);
const EXP_C3 = fr(0.166665524244308471679688);
const EXP_C4 = fr(0.499999850988388061523438);

/** Unbiased exponent field of a float32 (SLEEF's vilogb2k: no subnormal handling). */
function ilogb2k(d: number): number {
  return ((bitsOf(d) >>> 23) & 0xff) - 0x7f;
}
/** Adds q to the exponent field of d by integer arithmetic (SLEEF's vldexp3). */
function ldexp3(d: number, q: number): number {
  return fromBits((bitsOf(d) + (q << 23)) | 0);
}
/** 2^q as the float32 built from the exponent bits (q + 127) << 23. */
function pow2i(q: number): number {
  return fromBits(((q + 0x7f) << 23) | 0);
}
/** SLEEF's vldexp: x · 2^q in steps of float32 multiplications. */
function ldexp(x: number, q: number): number {
  let m = q >> 31;
  m = (((m + q) >> 6) - m) << 4;
  q = q - (m << 2);
  m = m + 0x7f;
  m = m > 0 ? m : 0;
  m = m > 0xff ? 0xff : m;
  const u = fromBits(m << 23);
  x = mul(mul(mul(mul(x, u), u), u), u);
  return mul(x, pow2i(q));
}
/** cvtps2dq under the default MXCSR: round half to even; out of range → INT_MIN. */
function rintInt(x: number): number {
  if (!(Math.abs(x) < 2147483648)) return -2147483648;
  const r = Math.round(x);
  return (r - x === 0.5 && r % 2 !== 0) ? r - 1 : r;
}

/** log(d) as a double-float (SLEEF logkf, non-AVX-512 branch). */
function logkf(d: number): DF {
  const o = d < FLT_MIN;
  if (o) d = mul(d, TWO64);
  let e = ilogb2k(mul(d, R_0_75));
  const m = ldexp3(d, -e);
  if (o) e -= 64;

  const x = dfDiv(dfAdd2FF(-1, m), dfAdd2FF(1, m));
  const x2 = dfSqu(x);

  let t = LOG_T0;
  t = fma32(t, x2[0], LOG_T1);
  t = fma32(t, x2[0], LOG_T2);
  const c: DF = [LOG_C_HI, LOG_C_LO];

  let s = dfMulDF_F([LN2_HI, LN2_LO], fr(e));
  s = dfAddDF_DF(s, dfScale(x, 2));
  s = dfAddDF_DF(s, dfMulDF_DF(dfMulDF_DF(x2, x), dfAdd2DF_DF(dfMulDF_F(x2, t), c)));
  return s;
}

/** exp of a double-float (SLEEF expkf). */
function expkf(d: DF): number {
  let u = mul(add(d[0], d[1]), R_LN2F);
  const q = rintInt(u);
  const qf = fr(q);

  let s = dfAdd2DF_F(d, mul(qf, -L2UF));
  s = dfAdd2DF_F(s, mul(qf, -L2LF));
  s = dfNormalize(s);

  u = EXP_C0;
  u = fma32(u, s[0], EXP_C1);
  u = fma32(u, s[0], EXP_C2);
  u = fma32(u, s[0], EXP_C3);
  u = fma32(u, s[0], EXP_C4);

  let t = dfAddDF_DF(s, dfMulDF_F(dfSqu(s), u));
  t = dfAddF_DF(1, t);
  u = add(t[0], t[1]);
  u = ldexp(u, q);
  if (d[0] < -104) u = 0;
  return u;
}

/**
 * SLEEF's `powf` u10 (`Sleef_powf8_u10` lanes on AVX2+FMA), emulated bit for bit.
 * Inputs are rounded to float32; the result is a float32 value.
 */
export function sleefPowf(x: number, y: number): number {
  x = fr(x);
  y = fr(y);
  const ay = Math.abs(y);
  const yisint = Math.trunc(y) === y || ay > 1 << 24;
  // vtruncate_vi2_vf (cvttps2dq): out of range → INT_MIN, whose low bit is 0
  const ti = Math.abs(y) < 2147483648 ? Math.trunc(y) : -2147483648;
  const yisodd = (ti & 1) === 1 && yisint && ay < 1 << 24;

  let result = expkf(dfMulDF_F(logkf(Math.abs(x)), y));
  if (Number.isNaN(result)) result = Infinity;
  result = mul(result, x > 0 ? 1 : yisint ? (yisodd ? -1 : 1) : NaN);

  // efx = (|x| − 1) with the sign of y multiplied in (vmulsign: xor of sign bits)
  const ax1 = sub(Math.abs(x), 1);
  const efx = (Object.is(y, -0) || y < 0) ? -ax1 : ax1;
  if (ay === Infinity) {
    result = efx < 0 ? 0 : efx === 0 ? 1 : Infinity;
  }
  if (Math.abs(x) === Infinity || x === 0) {
    const ysign = y < 0 || Object.is(y, -0);
    const mag = (ysign !== (x === 0)) ? 0 : Infinity;
    // vmulsign(mag, yisodd ? x : 1)
    const sgnSrc = yisodd ? x : 1;
    const neg = sgnSrc < 0 || Object.is(sgnSrc, -0);
    result = neg ? -mag : mag;
  }
  if (Number.isNaN(x) || Number.isNaN(y)) result = NaN;
  if (y === 0 || x === 1) result = 1;
  return result;
}

/** The correctly rounded float32 power of float32 inputs (what ropekit used before; for contrast). */
export function scalarPowf(x: number, y: number): number {
  return fr(Math.pow(fr(x), fr(y)));
}

/**
 * What torch returns for `base ** exps` (float32 tensor, scalar base) on CPU: elements in full
 * blocks of `2 · vectorWidth` go through SLEEF powf, the tail (n mod 2·width) through scalar
 * `std::pow` = glibc powf (`glibcPowf`). `vectorWidth`: 8 floats for AVX2 (measured), 16 for
 * AVX-512; 0 → all scalar (ATEN_CPU_CAPABILITY=default, also measured). Valid for tensors below
 * ATen's parallel grain size (32768 elements); longer ones are split across threads, each chunk
 * with its own tail.
 */
export function torchPowVector(base: number, exps: Float64Array | number[], vectorWidth = 8): Float64Array {
  const n = exps.length;
  const out = new Float64Array(n);
  const b = fr(base);
  const block = 2 * vectorWidth;
  const vecEnd = block > 0 ? n - (n % block) : 0;
  for (let i = 0; i < n; i++) {
    out[i] = i < vecEnd ? sleefPowf(b, exps[i]) : glibcPowf(b, exps[i]);
  }
  return out;
}

// ---- glibc powf (the scalar tail: std::pow(float, float) → libm powf) ---------------------------
//
// glibc ≥ 2.28's powf (sysdeps/ieee754/flt-32/e_powf.c, from ARM optimized-routines): log2 via a
// 16-entry table + degree-5 polynomial in double, then exp2 via a 32-entry table + cubic in double,
// rounded once to float. Not always correctly rounded (≤ 0.82 ulp). On x86-64 with FMA, glibc's
// ifunc picks the build compiled with -mfma, where GCC contracts `a*b + c` into fused operations;
// `glibcPowf(x, y, true)` models that build. Table values below are the data of that file.

function hexFloat(s: string): number {
  const m = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(s);
  if (!m) throw new Error(`bad hex float ${s}`);
  const frac = m[3] ?? "";
  const mant = BigInt("0x" + m[2] + frac);
  // mant has ≤ 53 significant bits here, so the conversion is exact
  const v = Number(mant) * 2 ** (Number(m[4]) - 4 * frac.length);
  return m[1] ? -v : v;
}

const POWF_LOG2_TAB: Array<[number, number]> = ([
  ["0x1.661ec79f8f3bep+0", "-0x1.efec65b963019p-2"],
  ["0x1.571ed4aaf883dp+0", "-0x1.b0b6832d4fca4p-2"],
  ["0x1.49539f0f010bp+0", "-0x1.7418b0a1fb77bp-2"],
  ["0x1.3c995b0b80385p+0", "-0x1.39de91a6dcf7bp-2"],
  ["0x1.30d190c8864a5p+0", "-0x1.01d9bf3f2b631p-2"],
  ["0x1.25e227b0b8eap+0", "-0x1.97c1d1b3b7afp-3"],
  ["0x1.1bb4a4a1a343fp+0", "-0x1.2f9e393af3c9fp-3"],
  ["0x1.12358f08ae5bap+0", "-0x1.960cbbf788d5cp-4"],
  ["0x1.0953f419900a7p+0", "-0x1.a6f9db6475fcep-5"],
  ["0x1p+0", "0x0p+0"],
  ["0x1.e608cfd9a47acp-1", "0x1.338ca9f24f53dp-4"],
  ["0x1.ca4b31f026aap-1", "0x1.476a9543891bap-3"],
  ["0x1.b2036576afce6p-1", "0x1.e840b4ac4e4d2p-3"],
  ["0x1.9c2d163a1aa2dp-1", "0x1.40645f0c6651cp-2"],
  ["0x1.886e6037841edp-1", "0x1.88e9c2c1b9ff8p-2"],
  ["0x1.767dcf5534862p-1", "0x1.ce0a44eb17bccp-2"],
] as Array<[string, string]>).map(([a, b]) => [hexFloat(a), hexFloat(b)]);
const POWF_LOG2_POLY = [
  "0x1.27616c9496e0bp-2",
  "-0x1.71969a075c67ap-2",
  "0x1.ec70a6ca7baddp-2",
  "-0x1.7154748bef6c8p-1",
  "0x1.71547652ab82bp0",
].map(hexFloat);
const EXP2F_TAB: bigint[] = [
  0x3ff0000000000000n,
  0x3fefd9b0d3158574n,
  0x3fefb5586cf9890fn,
  0x3fef9301d0125b51n,
  0x3fef72b83c7d517bn,
  0x3fef54873168b9aan,
  0x3fef387a6e756238n,
  0x3fef1e9df51fdee1n,
  0x3fef06fe0a31b715n,
  0x3feef1a7373aa9cbn,
  0x3feedea64c123422n,
  0x3feece086061892dn,
  0x3feebfdad5362a27n,
  0x3feeb42b569d4f82n,
  0x3feeab07dd485429n,
  0x3feea47eb03a5585n,
  0x3feea09e667f3bcdn,
  0x3fee9f75e8ec5f74n,
  0x3feea11473eb0187n,
  0x3feea589994cce13n,
  0x3feeace5422aa0dbn,
  0x3feeb737b0cdc5e5n,
  0x3feec49182a3f090n,
  0x3feed503b23e255dn,
  0x3feee89f995ad3adn,
  0x3feeff76f2fb5e47n,
  0x3fef199bdd85529cn,
  0x3fef3720dcef9069n,
  0x3fef5818dcfba487n,
  0x3fef7c97337b9b5fn,
  0x3fefa4afa2a490dan,
  0x3fefd0765b6e4540n,
];
const EXP2F_SHIFT_SCALED = 1.5 * 2 ** 52 / 32;
const EXP2F_POLY = ["0x1.c6af84b912394p-5", "0x1.ebfce50fac4f3p-3", "0x1.62e42ff0c52d6p-1"].map(hexFloat);

const POWF_OFLOW = hexFloat("0x1.fffffffd1d571p+6");

/** 0: not an integer, 1: odd integer, 2: even integer (bits of a non-zero finite float32). */
function checkInt(iy: number): number {
  const e = (iy >>> 23) & 0xff;
  if (e < 0x7f) return 0;
  if (e > 0x7f + 23) return 2;
  if (iy & ((1 << (0x7f + 23 - e)) - 1)) return 0;
  if (iy & (1 << (0x7f + 23 - e))) return 1;
  return 2;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Exact decomposition x = m · 2^e of a finite double (m an integer BigInt). */
function exact(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  f64[0] = x;
  const bits = u64[0];
  const be = Number((bits >> 52n) & 0x7ffn);
  let m = bits & 0xfffffffffffffn;
  let e: number;
  if (be === 0) e = -1074;
  else {
    m |= 0x10000000000000n;
    e = be - 1075;
  }
  return [x < 0 ? -m : m, e];
}

/** Correctly rounded double fused multiply-add a·b + c (finite operands, normal result range). */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  // fast path: product exact in double and sum exact → no rounding happened at all
  if (Math.abs(p) < 2 ** 1000 && Math.abs(p) > 2 ** -900) {
    // exact product error via Dekker/Veltkamp split
    const SPLIT = 134217729; // 2^27 + 1
    let t = SPLIT * a;
    const ah = t - (t - a), al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b), bl = b - bh;
    const pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl; // a·b = p + pe exactly
    if (pe === 0) {
      // a·b = p exactly: fma = RN(p + c) = s
      return s;
    }
  }
  const [ma, ea] = exact(a);
  const [mb, eb] = exact(b);
  const [mc, ec] = exact(c);
  const mp = ma * mb, ep = ea + eb;
  const E = Math.min(ep, ec);
  const S = (mp << BigInt(ep - E)) + (mc << BigInt(ec - E));
  if (S === 0n) return p + c; // signed zero as the hardware gives for exact cancellation
  // Number(bigint) rounds to nearest even; the scaling by 2^E is exact unless the result is
  // subnormal (not reached by the callers here)
  return E < -1000 ? Number(S) * 2 ** (E + 600) * 2 ** -600 : Number(S) * 2 ** E;
}

/** glibc's powf. `fma`: the x86-64 FMA build (GCC contracts a*b+c); default true. */
export function glibcPowf(x: number, y: number, fma = true): number {
  x = fr(x);
  y = fr(y);
  const mla = fma ? fma64 : (a: number, b: number, c: number) => a * b + c;
  const ix0 = bitsOf(x) >>> 0;
  const iy = bitsOf(y) >>> 0;
  let signBias = false;
  let ix = ix0;
  const zeroInfNan = (u: number) => ((2 * u - 1) >>> 0) >= 2 * 0x7f800000 - 1 || u === 0 || u === 0x80000000;
  if (((ix - 0x00800000) >>> 0) >= 0x7f800000 - 0x00800000 || zeroInfNan(iy)) {
    if (zeroInfNan(iy)) {
      if (y === 0) return 1;
      if (x === 1) return 1;
      if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
      if (Math.abs(x) === 1) return 1;
      if ((Math.abs(x) < 1) === (y > 0)) return 0;
      return Infinity; // y·y with y = ±inf
    }
    if (x === 0 || !Number.isFinite(x)) {
      // x = ±0, ±inf or NaN
      let x2 = mul(x, x);
      if (x < 0 || Object.is(x, -0)) {
        if (checkInt(iy) === 1) x2 = -x2;
      }
      return y < 0 ? fr(1 / x2) : x2;
    }
    if (x < 0) {
      const yint = checkInt(iy);
      if (yint === 0) return NaN;
      if (yint === 1) signBias = true;
      ix = ix & 0x7fffffff;
    }
    if (ix < 0x00800000) {
      // normalise a subnormal x so that its biased exponent becomes negative
      ix = ((bitsOf(fr(fromBits(ix) * 2 ** 23)) & 0x7fffffff) - (23 << 23)) >>> 0;
    }
  }
  // log2_inline
  const OFF = 0x3f330000;
  const tmp = (ix - OFF) >>> 0;
  const i = (tmp >>> (23 - 4)) % 16;
  const top = (tmp & 0xff800000) >>> 0;
  const iz = (ix - top) >>> 0;
  const k = (top | 0) >> 23;
  const [invc, logc] = POWF_LOG2_TAB[i];
  const z = fromBits(iz);
  const A = POWF_LOG2_POLY;
  const r = mla(z, invc, -1);
  const y0 = logc + k;
  const r2 = r * r;
  let yy = mla(A[0], r, A[1]);
  const p = mla(A[2], r, A[3]);
  const r4 = r2 * r2;
  let q = mla(A[4], r, y0);
  q = mla(p, r2, q);
  yy = mla(yy, r4, q);
  const logx = yy;
  const ylogx = y * logx;
  if (Math.abs(ylogx) >= 126) {
    if (ylogx > POWF_OFLOW) return signBias ? -Infinity : Infinity;
    if (ylogx <= -150) return signBias ? -0 : 0;
  }
  // exp2_inline
  const xd = ylogx;
  let kd = xd + EXP2F_SHIFT_SCALED;
  f64[0] = kd;
  const ki = u64[0];
  kd -= EXP2F_SHIFT_SCALED;
  const rr = xd - kd;
  let t = EXP2F_TAB[Number(ki % 32n)];
  t = BigInt.asUintN(64, t + (ki << 47n));
  u64[0] = t;
  const s = f64[0];
  const C = EXP2F_POLY;
  const zz = mla(C[0], rr, C[1]);
  const rr2 = rr * rr;
  let yv = mla(C[2], rr, 1);
  yv = mla(zz, rr2, yv);
  yv = yv * s;
  return signBias ? -fr(yv) : fr(yv);
}
