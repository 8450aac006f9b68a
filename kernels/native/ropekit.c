/*
 * ropekit native CPU kernels, loaded from TypeScript with Deno.dlopen (kernels/native/lib.ts).
 *
 * Same conventions as kernels/cpu (the references these must match): f32, row-major, weights
 * [out][in] so y = W·x. Build: `deno task build` (cc -O3 -march=native -fopenmp, no -ffast-math:
 * NaNs and infinities must keep their meaning). Loops are written so gcc/clang vectorise them
 * (GCC vector extensions in the matmul micro-kernel, `omp simd` for reductions, which plain -O3
 * will not reorder without fast-math). OpenMP spreads rows/heads over the cores.
 */
#ifdef __wasm__
#include "../wasm/runtime.h" /* the WebAssembly build: freestanding, threads by kernels/wasm */
#else
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#endif

/* Bumped whenever an exported signature changes, in one place: ABI_VERSION of symbols.ts, which both
   builds pass as -DRK_ABI_VERSION; lib.ts refuses a library with another value. */
#ifndef RK_ABI_VERSION
#error "build with -DRK_ABI_VERSION=<ABI_VERSION of kernels/native/symbols.ts> (deno task build / build:wasm)"
#endif
int rk_abi_version(void) { return RK_ABI_VERSION; }

/* Threads OpenMP will use (1 without OpenMP). */
int rk_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* ------------------------------------------------------------------------------------------ */
/* exp                                                                                          */
/* ------------------------------------------------------------------------------------------ */

/*
 * e^x to ~2 ulp, branch-free so it vectorises (libm expf is a call gcc will not vectorise without
 * -ffast-math). x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: ln2 split in two so n·ln2 is exact),
 * e^r by its degree-6 Taylor polynomial (truncation < 1.2e-7 relative), 2^n built in the exponent
 * bits. x < −87.3 (including −inf, a masked logit) gives exactly 0, x > 88.7 gives +inf, NaN stays NaN.
 */
static inline float rk_exp(float x) {
  float xc = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  float n = floorf(xc * 1.44269504f + 0.5f);
  float r = xc - n * 0.693145752f; /* ln2 high part: n·hi is exact for |n| < 2^11 */
  r = r - n * 1.42860677e-6f;      /* ln2 low part */
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float two_n;
  memcpy(&two_n, &bits, 4);
  float y = p * two_n;
  y = x < -87.3f ? 0.0f : y;
  return x > 88.7f ? INFINITY : y;
}

/* Exposed for the tests: out[i] = rk_exp(x[i]). */
void rk_exp_array(float *out, const float *x, int n) {
#pragma omp simd
  for (int i = 0; i < n; i++) out[i] = rk_exp(x[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* matmul: out[T×N] (+)= x[T×K] · Wᵀ (+ bias), W packed once into 16-column panels             */
/* ------------------------------------------------------------------------------------------ */

#define NR 16 /* columns per panel: two 8-float vectors */
#ifdef __wasm__
#define MR 4 /* WebAssembly: 4-float vectors, see its micro_kernel */
#else
#define MR 6 /* rows per micro-tile: 6×2 accumulators + 2 weight vectors + 1 broadcast ≤ 16 registers */
#endif
#define MC 72 /* rows per work item (a multiple of MR): packed, they stay in L2 (≤ 400 KB at K = 1376) */
#define PANELS_PER_ITEM 8

typedef float v8 __attribute__((vector_size(32)));
/* Same vector, but loads/stores through it may be unaligned (Float32Arrays are only 8-aligned). */
typedef float v8u __attribute__((vector_size(32), aligned(4)));
#if defined(__AVX512F__) && !defined(__wasm__)
/*
 * Where the CPU has AVX-512 (32 vector registers of 16 floats), the matmul and attention micro-kernels
 * also come in 16-float vectors over two adjacent panels (micro_kernel2, qk_panel2): same sums in the
 * same order, so the outputs are bit-identical. At T8192 on the AMD EPYC of docs/performance.md (one
 * thread, CPU time) the matmul at K128, N 64–768 took 1.6–1.7× less in a one-off check, attention 1.75×
 * (bench/attention_ab.ts).
 */
#define WIDE_VECTORS 1
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
#endif

/*
 * acc += a·s (s a scalar, broadcast). The native build leaves contraction to the compiler (FMA under
 * -march=native). The WebAssembly build with relaxed SIMD spells out f32x4.relaxed_madd (clang does not
 * contract into it; without it a multiply and an add cost two instructions). WebAssembly vectors are 4
 * floats: there the hot loops below use v4 tiles sized for x86's 16 vector registers (V8 maps v128 to
 * xmm), since the native 8-float tiles would spill.
 */
#ifdef __wasm__
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4)));
#ifdef __wasm_relaxed_simd__
#define MADD4(acc, a, s) ((acc) = __builtin_wasm_relaxed_madd_f32x4((a), (v4){(s), (s), (s), (s)}, (acc)))
#else
#define MADD4(acc, a, s) ((acc) += (a) * (s))
#endif
#else
#define MADD(acc, a, s) ((acc) += (a) * (s))
#endif

/* Floats needed by rk_pack_weights for an [N][K] matrix. */
int64_t rk_packed_floats(int N, int K) { return (int64_t)((N + NR - 1) / NR) * NR * K; }

/*
 * Packing through a strided view: element (n, k) of the [N][K] matrix is src[n·sn + k·sk]. The
 * backward products are matmuls against transposed operands (dx = dOut·W reads W as [K][N], dW =
 * dOutᵀ·x reads x as [K][T]); packing them through a view avoids a transposed copy. Weights change
 * every training step, so the trainer packs per call instead of using the inference cache.
 */
void rk_pack_strided(float *packed, const float *src, int N, int K, int64_t sn, int64_t sk) {
  int panels = (N + NR - 1) / NR;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < panels; p++) {
    float *dst = packed + (int64_t)p * NR * K;
    for (int k = 0; k < K; k++) {
      for (int c = 0; c < NR; c++) {
        int n = p * NR + c;
        dst[k * NR + c] = n < N ? src[n * sn + k * sk] : 0.0f;
      }
    }
  }
}

/*
 * Rearranges w [N][K] into panels of NR output columns: panel p holds, for k = 0..K−1, the NR
 * weights w[p·NR + c][k] contiguously, so the micro-kernel reads one 64-byte line per k. Columns past
 * N are zero. Done once per weight matrix (the backend caches it).
 */
void rk_pack_weights(float *packed, const float *w, int N, int K) { rk_pack_strided(packed, w, N, K, K, 1); }

/*
 * tile[MR][NR] = xp · panel, where xp is MR rows of x packed [K][MR] (so the six values broadcast
 * per k are adjacent: one cache line feeds 2–3 k steps, and rows a power-of-two stride apart no longer
 * fight over the same L1 sets). Twelve independent FMA chains hide the FMA latency.
 */
#ifdef __wasm__
/*
 * The same product in two passes of 8 columns over a 4-row tile: 4 rows × 2 vectors of sums, 2 of
 * weights and the broadcasts fit x86's 16 vector registers (V8 maps v128 to xmm). Measured against
 * 6 rows (spills) and against blocking k for L1 (slower): 36 vs 30 and 25 GFLOP/s on one core.
 */
static void micro_kernel(float tile[MR][NR], const float *xp, const float *panel, int K) {
  for (int h = 0; h < NR; h += 8) {
    v4 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (int k = 0; k < K; k++) {
      v4 w0 = *(const v4u *)(panel + k * NR + h), w1 = *(const v4u *)(panel + k * NR + h + 4);
      const float *xk = xp + k * MR;
      MADD4(c00, w0, xk[0]), MADD4(c01, w1, xk[0]);
      MADD4(c10, w0, xk[1]), MADD4(c11, w1, xk[1]);
      MADD4(c20, w0, xk[2]), MADD4(c21, w1, xk[2]);
      MADD4(c30, w0, xk[3]), MADD4(c31, w1, xk[3]);
    }
    *(v4u *)&tile[0][h] = c00, *(v4u *)&tile[0][h + 4] = c01;
    *(v4u *)&tile[1][h] = c10, *(v4u *)&tile[1][h + 4] = c11;
    *(v4u *)&tile[2][h] = c20, *(v4u *)&tile[2][h + 4] = c21;
    *(v4u *)&tile[3][h] = c30, *(v4u *)&tile[3][h + 4] = c31;
  }
}
#else
static void micro_kernel(float tile[MR][NR], const float *xp, const float *panel, int K) {
  v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
  v8 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
  for (int k = 0; k < K; k++) {
    v8 w0 = *(const v8u *)(panel + k * NR), w1 = *(const v8u *)(panel + k * NR + 8);
    const float *xk = xp + k * MR;
    MADD(c00, w0, xk[0]), MADD(c01, w1, xk[0]);
    MADD(c10, w0, xk[1]), MADD(c11, w1, xk[1]);
    MADD(c20, w0, xk[2]), MADD(c21, w1, xk[2]);
    MADD(c30, w0, xk[3]), MADD(c31, w1, xk[3]);
    MADD(c40, w0, xk[4]), MADD(c41, w1, xk[4]);
    MADD(c50, w0, xk[5]), MADD(c51, w1, xk[5]);
  }
  *(v8u *)&tile[0][0] = c00, *(v8u *)&tile[0][8] = c01;
  *(v8u *)&tile[1][0] = c10, *(v8u *)&tile[1][8] = c11;
  *(v8u *)&tile[2][0] = c20, *(v8u *)&tile[2][8] = c21;
  *(v8u *)&tile[3][0] = c30, *(v8u *)&tile[3][8] = c31;
  *(v8u *)&tile[4][0] = c40, *(v8u *)&tile[4][8] = c41;
  *(v8u *)&tile[5][0] = c50, *(v8u *)&tile[5][8] = c51;
}
#endif
#ifdef WIDE_VECTORS
/* micro_kernel over two adjacent panels (2·NR columns; the second panel starts NR·K floats after the first). */
static void micro_kernel2(float tile[MR][2 * NR], const float *xp, const float *panel, int K) {
  const float *panel2 = panel + NR * K;
  v16 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
  v16 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
  for (int k = 0; k < K; k++) {
    v16 w0 = *(const v16u *)(panel + k * NR), w1 = *(const v16u *)(panel2 + k * NR);
    const float *xk = xp + k * MR;
    MADD(c00, w0, xk[0]), MADD(c01, w1, xk[0]);
    MADD(c10, w0, xk[1]), MADD(c11, w1, xk[1]);
    MADD(c20, w0, xk[2]), MADD(c21, w1, xk[2]);
    MADD(c30, w0, xk[3]), MADD(c31, w1, xk[3]);
    MADD(c40, w0, xk[4]), MADD(c41, w1, xk[4]);
    MADD(c50, w0, xk[5]), MADD(c51, w1, xk[5]);
  }
  *(v16u *)&tile[0][0] = c00, *(v16u *)&tile[0][16] = c01;
  *(v16u *)&tile[1][0] = c10, *(v16u *)&tile[1][16] = c11;
  *(v16u *)&tile[2][0] = c20, *(v16u *)&tile[2][16] = c21;
  *(v16u *)&tile[3][0] = c30, *(v16u *)&tile[3][16] = c31;
  *(v16u *)&tile[4][0] = c40, *(v16u *)&tile[4][16] = c41;
  *(v16u *)&tile[5][0] = c50, *(v16u *)&tile[5][16] = c51;
}
#endif

/*
 * Packs rows [t_begin, t_end) of x [T][K] as the micro-kernel reads them, [tile][K][MR]; a short tail
 * tile repeats its last row (its extra results are dropped by panel_rows).
 */
static inline void pack_rows(float *xp, const float *x, int t_begin, int t_end, int K) {
  for (int t0 = t_begin; t0 < t_end; t0 += MR) {
    float *dst = xp + (int64_t)(t0 - t_begin) * K;
    for (int r = 0; r < MR; r++) {
      const float *row = x + (int64_t)(t0 + r < t_end ? t0 + r : t_end - 1) * K;
      for (int k = 0; k < K; k++) dst[k * MR + r] = row[k];
    }
  }
}

/*
 * Stores the first `rows` × `cols` results of a tile (row stride `width`) at out[t0..][n0..], plus the bias,
 * written (or added to out when `accumulate`); the tail tile's repeated rows and columns past N are dropped.
 */
static inline void store_tile(float *out, const float *tile, int width, int rows, int cols, int t0, int n0, int N,
                              const float *bias, int accumulate) {
  for (int r = 0; r < rows; r++) {
    float *o = out + (int64_t)(t0 + r) * N + n0;
    for (int c = 0; c < cols; c++) {
      o[c] = (accumulate ? o[c] : 0.0f) + tile[r * width + c] + (bias ? bias[n0 + c] : 0.0f);
    }
  }
}

/* out[t][n0..n0+NR) for t in [t_begin, t_end): each MR-row tile of the packed rows times one panel of weights. */
static inline void panel_rows(float *out, const float *xp, const float *panel, const float *bias, int t_begin,
                              int t_end, int n0, int N, int K, int accumulate) {
  float tile[MR][NR];
  int cols = N - n0 < NR ? N - n0 : NR;
  for (int t0 = t_begin; t0 < t_end; t0 += MR) {
    micro_kernel(tile, xp + (int64_t)(t0 - t_begin) * K, panel, K);
    store_tile(out, &tile[0][0], NR, t_end - t0 < MR ? t_end - t0 : MR, cols, t0, n0, N, bias, accumulate);
  }
}
#ifdef WIDE_VECTORS
/* panel_rows for two adjacent panels at once (columns n0..n0+2·NR), with micro_kernel2. */
static inline void panel_rows2(float *out, const float *xp, const float *panel, const float *bias, int t_begin,
                               int t_end, int n0, int N, int K, int accumulate) {
  float tile[MR][2 * NR];
  int cols = N - n0 < 2 * NR ? N - n0 : 2 * NR;
  for (int t0 = t_begin; t0 < t_end; t0 += MR) {
    micro_kernel2(tile, xp + (int64_t)(t0 - t_begin) * K, panel, K);
    store_tile(out, &tile[0][0], 2 * NR, t_end - t0 < MR ? t_end - t0 : MR, cols, t0, n0, N, bias, accumulate);
  }
}
#endif

/*
 * out[t][n] = (accumulate ? out[t][n] : 0) + Σ_k x[t][k]·w[n][k] + (bias ? bias[n] : 0), with w given
 * as rk_pack_weights' panels. `accumulate` fuses the residual add of the o and down projections.
 * Work items are (72 rows × 8 panels) blocks, so both a long prompt and a single decoding row keep
 * every core busy. An item packs its rows once ([tile][K][MR], a short tail tile repeats its last row
 * and the extra results are dropped), then each panel (≤ 88 KB, L2) is reused by 12 micro-tiles.
 */
void rk_matmul(float *out, const float *x, const float *packed, const float *bias, int T, int K, int N,
               int accumulate) {
  int panels = (N + NR - 1) / NR;
  int row_blocks = (T + MC - 1) / MC, col_blocks = (panels + PANELS_PER_ITEM - 1) / PANELS_PER_ITEM;
#pragma omp parallel
  {
    float *xp = malloc(sizeof(float) * MC * K);
#pragma omp for schedule(dynamic, 1)
    for (int item = 0; item < row_blocks * col_blocks; item++) {
      int t_begin = (item / col_blocks) * MC, t_end = t_begin + MC < T ? t_begin + MC : T;
      int p_begin = (item % col_blocks) * PANELS_PER_ITEM;
      int p_end = p_begin + PANELS_PER_ITEM < panels ? p_begin + PANELS_PER_ITEM : panels;
      pack_rows(xp, x, t_begin, t_end, K);
      int p = p_begin;
#ifdef WIDE_VECTORS
      for (; p + 2 <= p_end; p += 2) {
        panel_rows2(out, xp, packed + (int64_t)p * NR * K, bias, t_begin, t_end, p * NR, N, K, accumulate);
      }
#endif
      for (; p < p_end; p++) {
        panel_rows(out, xp, packed + (int64_t)p * NR * K, bias, t_begin, t_end, p * NR, N, K, accumulate);
      }
    }
    free(xp);
  }
}

/*
 * max(m, x[0..n)) as `x[i] > m ? x[i] : m` (NaNs skipped). clang will not vectorise this reduction
 * for WebAssembly without fast-math, so there it is spelled with f32x4.pmax, the same select per lane.
 */
static inline float max_of(const float *x, int n, float m) {
#ifdef __wasm__
  int i = 0;
  if (n >= 4) {
    v4 mv = {m, m, m, m};
    for (; i + 4 <= n; i += 4) mv = __builtin_wasm_pmax_f32x4(mv, *(const v4u *)(x + i));
    for (int l = 0; l < 4; l++) m = mv[l] > m ? mv[l] : m;
  }
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
#else
#pragma omp simd reduction(max : m)
  for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
#endif
  return m;
}

/*
 * The bench's fp32 peak: every OpenMP thread runs `iters` steps of 12 independent register-only FMA
 * chains on vectors of the kernels' widest width (16 floats where the CPU has AVX-512 and the kernels use
 * it, else 8; 4 in WebAssembly), no loads or stores; returns the flops done, which the caller divides by
 * the wall time it measured around the call. The widest width, so that no kernel row can pass 100%.
 */
#ifdef __wasm__
typedef v4 peak_vec;
#define PEAK_FMA(a) MADD4(a, b, 0.999f)
#elif defined(WIDE_VECTORS)
typedef v16 peak_vec;
#define PEAK_FMA(a) ((a) = (a) * b + c)
#else
typedef v8 peak_vec;
#define PEAK_FMA(a) ((a) = (a) * b + c)
#endif

static double fma_chains(int iters) {
  peak_vec b = {0}, c = {0};
  b += 0.999f, c += 1e-4f;
  peak_vec a0 = c, a1 = c + 1, a2 = c + 2, a3 = c + 3, a4 = c + 4, a5 = c + 5;
  peak_vec a6 = c + 6, a7 = c + 7, a8 = c + 8, a9 = c + 9, a10 = c + 10, a11 = c + 11;
  for (int i = 0; i < iters; i++) {
    PEAK_FMA(a0), PEAK_FMA(a1), PEAK_FMA(a2), PEAK_FMA(a3), PEAK_FMA(a4), PEAK_FMA(a5);
    PEAK_FMA(a6), PEAK_FMA(a7), PEAK_FMA(a8), PEAK_FMA(a9), PEAK_FMA(a10), PEAK_FMA(a11);
  }
  peak_vec sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  /* The sum is never 1e30: the comparison only keeps the loop from being optimised away. */
  return sum[0] == 1e30f ? 0 : 2.0 * 12 * (sizeof(peak_vec) / sizeof(float)) * (double)iters;
}

double rk_fma_flops(int iters) {
  int n = rk_threads();
  double *flops = malloc(sizeof(double) * n), total = 0;
#pragma omp parallel for schedule(static, 1)
  for (int i = 0; i < n; i++) flops[i] = fma_chains(iters);
  for (int i = 0; i < n; i++) total += flops[i];
  free(flops);
  return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Element-wise ops of the llama block                                                         */
/* ------------------------------------------------------------------------------------------ */

/* out[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ w, T rows of D (out may alias x). Sum in double as the ref. */
void rk_rmsnorm(float *out, const float *x, const float *w, int T, int D, float eps) {
#pragma omp parallel for schedule(static) if (T > 64)
  for (int t = 0; t < T; t++) {
    const float *xt = x + (int64_t)t * D;
    double ss = 0;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < D; i++) ss += (double)xt[i] * xt[i];
    float inv = (float)(1.0 / sqrt(ss / D + eps));
    float *ot = out + (int64_t)t * D;
    for (int i = 0; i < D; i++) ot[i] = xt[i] * inv * w[i];
  }
}

/* out[i] = silu(gate[i]) · up[i] = gate / (1 + e^−gate) · up (out may alias gate or up). */
void rk_swiglu(float *out, const float *gate, const float *up, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) out[i] = gate[i] / (1.0f + rk_exp(-gate[i])) * up[i];
}

/*
 * RoPE in place on x [T][nHeads·headDim]. `table` is ropeCosSinTable's [T][rotaryDim]: per row the
 * rotaryDim/2 cosines then the sines, scale applied (computed in TS so the angles match HF bit for
 * bit). interleaved: pair i = channels (2i, 2i+1); else HF rotate_half: (i, i + rotaryDim/2).
 */
void rk_rope(float *x, const float *table, int T, int nHeads, int headDim, int rotaryDim, int interleaved) {
  int pairs = rotaryDim / 2, stride = interleaved ? 2 : 1, partner = interleaved ? 1 : pairs;
#pragma omp parallel for schedule(static) if (T > 64)
  for (int t = 0; t < T; t++) {
    const float *cs = table + (int64_t)t * rotaryDim, *sn = cs + pairs;
    for (int h = 0; h < nHeads; h++) {
      float *base = x + ((int64_t)t * nHeads + h) * headDim;
      for (int i = 0; i < pairs; i++) {
        float *a = base + i * stride, *b = a + partner;
        float x0 = *a, x1 = *b;
        *a = x0 * cs[i] - x1 * sn[i];
        *b = x1 * cs[i] + x0 * sn[i];
      }
    }
  }
}

/*
 * nll[r] = logsumexp(logits[r]) − logits[r][targets[r]] for `rows` rows of V logits. The sum of
 * exponentials is kept in double, as the reference does.
 */
void rk_nll_from_logits(float *nll, const float *logits, const int32_t *targets, int rows, int V) {
#pragma omp parallel for schedule(static) if (rows > 16)
  for (int r = 0; r < rows; r++) {
    const float *row = logits + (int64_t)r * V;
    float max = max_of(row, V, -INFINITY);
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < V; i++) sum += rk_exp(row[i] - max);
    nll[r] = (float)(max + log(sum) - row[targets[r]]);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Attention                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/*
 * Copies rows v[0..T) ([T][nKv·hd]) to positions start..start+T−1 of a value cache [nKv][capacity][hd]:
 * per KV head, a block of values is one contiguous run that pv_tile streams through.
 */
void rk_store_values(float *vc, const float *v, int T, int start, int nKv, int hd, int capacity) {
  for (int t = 0; t < T; t++) {
    for (int g = 0; g < nKv; g++) {
      memcpy(vc + ((int64_t)g * capacity + start + t) * hd, v + ((int64_t)t * nKv + g) * hd, sizeof(float) * hd);
    }
  }
}

/* Keys per panel of the key cache (the width of qk_panel). */
#define KP 16

/* Floats of a key cache for `capacity` positions: [nKv][capacity/16 rounded up][hd][16]. */
int64_t rk_key_cache_floats(int capacity, int nKv, int hd) {
  return (int64_t)((capacity + KP - 1) / KP) * KP * nKv * hd;
}

/*
 * Copies rows k[0..T) to positions start..start+T−1 of a key cache in panels: for each KV head,
 * groups of 16 positions hold [hd][16] contiguous floats (the matmul's packed-weight layout), so the
 * scores micro-kernel streams through memory instead of jumping between hd rows.
 */
void rk_store_keys(float *kp, const float *k, int T, int start, int nKv, int hd, int capacity) {
  int64_t head = (int64_t)((capacity + KP - 1) / KP) * KP * hd;
  for (int t = 0; t < T; t++) {
    int pos = start + t;
    const float *row = k + (int64_t)t * nKv * hd;
    for (int g = 0; g < nKv; g++) {
      float *panel = kp + g * head + (int64_t)(pos / KP) * KP * hd + pos % KP;
      for (int d = 0; d < hd; d++) panel[d * KP] = row[g * hd + d];
    }
  }
}

/*
 * The attention kernel's vectors: VW floats, one AVX2 register natively, one v128 in WebAssembly.
 * AQR query rows share each key/value loaded (a micro-tile): 6 natively (6 rows × 2 vectors of sums +
 * 2 loads + 1 broadcast fit 16 registers, as the matmul's), 4 in WebAssembly (V8 gives 16 xmm too, but
 * its vectors hold 4 floats, so a panel of 16 keys is done in two halves).
 */
#ifdef __wasm__
#define VW 4
#define AQR 4
typedef v4 vf;
typedef v4u vfu;
typedef int32_t vi __attribute__((vector_size(16)));
#define VMADD(acc, a, s) MADD4(acc, a, s)
#ifdef __wasm_relaxed_simd__ /* acc += a·w, w a vector */
#define VMADDV(acc, a, w) ((acc) = __builtin_wasm_relaxed_madd_f32x4((a), (w), (acc)))
#else
#define VMADDV(acc, a, w) ((acc) += (a) * (w))
#endif
#else
#define VW 8
#define AQR 6
typedef v8 vf;
typedef v8u vfu;
typedef int32_t vi __attribute__((vector_size(32)));
#define VMADD(acc, a, s) MADD(acc, a, s)
#endif
/* Tuning knobs (-D to try others): BKF/hd keys per block (4096: a K and a V block of 16 KB each in L1),
   AQT micro-tiles per work item (a key/value block in L1 feeds AQT·AQR rows of every head of a group). */
#define BK_MAX 512 /* the most keys per block */
#ifndef BKF
#define BKF 4096
#endif
#ifndef AQT
#define AQT 8
#endif

/* Per lane: m ? a : b (m all ones or all zeros, as vector comparisons give). */
static inline vf vsel(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }

/* Per lane: a > b ? a : b (b when either is NaN): one instruction where there is one for it. */
static inline vf vmax(vf a, vf b) {
#if VW == 8 && defined(__AVX__)
  return __builtin_ia32_maxps256(a, b);
#elif defined(__wasm__)
  return __builtin_wasm_pmax_f32x4(b, a); /* f32x4.pmax(b, a) = b < a ? a : b */
#else
  return vsel(a > b, a, b);
#endif
}

/* The largest lane, by a shuffle tree (3 steps natively, 2 in WebAssembly) instead of a serial lane walk. */
static inline float hmax(vf x) {
#if VW == 8
  x = vmax(x, __builtin_shufflevector(x, x, 4, 5, 6, 7, 0, 1, 2, 3));
  x = vmax(x, __builtin_shufflevector(x, x, 2, 3, 0, 1, 6, 7, 4, 5));
  x = vmax(x, __builtin_shufflevector(x, x, 1, 0, 3, 2, 5, 4, 7, 6));
#else
  x = vmax(x, __builtin_shufflevector(x, x, 2, 3, 0, 1));
  x = vmax(x, __builtin_shufflevector(x, x, 1, 0, 3, 2));
#endif
  return x[0];
}

/*
 * 2^x per lane for the softmax's x ≤ MAX_SLACK (any x < 128), written with vector types so it vectorises
 * in both builds (the `omp simd` loop over rk_exp stays scalar in WebAssembly). x = n + f with n an
 * integer, |f| ≤ 1/2: adding 1.5·2^23 + 127 rounds x to n in the low mantissa bits of t, whose bits
 * shifted left by 23 are the exponent field of 2^n (the constant's own bits shift out); 2^f by a
 * degree-6 polynomial fitted for relative error on [−1/2, 1/2] (8.4e-9 in exact arithmetic; 9.6e-8
 * evaluated in float, as the Taylor degree-7 one it replaces). x is first raised to −127, where the
 * exponent field is 0 and the result exactly 0 (also −inf, a masked score); NaN stays NaN.
 */
#ifdef __wasm_relaxed_simd__ /* p·f + c: an FMA where relaxed SIMD has one (clang does not contract wasm vectors) */
#define POLY_STEP(p, f, c) ((p) = __builtin_wasm_relaxed_madd_f32x4((p), (f), (vf){0} + (c)))
#else
#define POLY_STEP(p, f, c) ((p) = (p) * (f) + (c))
#endif
/* Defines NAME(x), 2^x per lane for vectors V (integer lanes VI, lane maximum MAX): one body for both widths. */
#define DEFINE_EXP2(NAME, V, VI, MAX)                                                                    \
  static inline V NAME(V x) {                                                                            \
    const float magic = 12582912.0f + 127.0f;                                                            \
    x = MAX((V){0} - 127.0f, x);                                                                         \
    V t = x + magic, f = x - (t - magic);                                                                \
    V p = (V){0} + 1.5346250e-4f;                                                                        \
    POLY_STEP(p, f, 1.3399936e-3f);                                                                      \
    POLY_STEP(p, f, 9.6184872e-3f);                                                                      \
    POLY_STEP(p, f, 5.5503286e-2f);                                                                      \
    POLY_STEP(p, f, 0.24022646f);                                                                        \
    POLY_STEP(p, f, 0.69314718f);                                                                        \
    POLY_STEP(p, f, 1.0f);                                                                               \
    return p * (V)((VI)t << 23);                                                                         \
  }
DEFINE_EXP2(exp2_v, vf, vi, vmax)

/*
 * s[r][j] = Σ_d qp[d][r] · k[j][d] for the AQR rows of qp (packed [hd][AQR], pre-scaled) and the 16
 * keys of one key-cache panel ([hd][16]); s rows ss apart. The matmul's micro-kernel with K = hd: the
 * AQR × 16 sums stay in registers over the whole d loop.
 */
#ifdef __wasm__
static inline void qk_panel(float *s, int ss, const float *qp, const float *panel, int hd) {
  for (int h = 0; h < KP; h += 8) {
    vf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0}, e0 = {0}, e1 = {0};
    for (int d = 0; d < hd; d++) {
      vf k0 = *(const vfu *)(panel + d * KP + h), k1 = *(const vfu *)(panel + d * KP + h + 4);
      const float *qd = qp + d * AQR;
      VMADD(a0, k0, qd[0]), VMADD(a1, k1, qd[0]), VMADD(b0, k0, qd[1]), VMADD(b1, k1, qd[1]);
      VMADD(c0, k0, qd[2]), VMADD(c1, k1, qd[2]), VMADD(e0, k0, qd[3]), VMADD(e1, k1, qd[3]);
    }
    float *o = s + h;
    *(vfu *)o = a0, *(vfu *)(o + 4) = a1, *(vfu *)(o + ss) = b0, *(vfu *)(o + ss + 4) = b1;
    *(vfu *)(o + 2 * ss) = c0, *(vfu *)(o + 2 * ss + 4) = c1;
    *(vfu *)(o + 3 * ss) = e0, *(vfu *)(o + 3 * ss + 4) = e1;
  }
}
#else
static inline void qk_panel(float *s, int ss, const float *qp, const float *panel, int hd) {
  vf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0};
  vf e0 = {0}, e1 = {0}, f0 = {0}, f1 = {0}, g0 = {0}, g1 = {0};
  for (int d = 0; d < hd; d++) {
    vf k0 = *(const vfu *)(panel + d * KP), k1 = *(const vfu *)(panel + d * KP + 8);
    const float *qd = qp + d * AQR;
    VMADD(a0, k0, qd[0]), VMADD(a1, k1, qd[0]), VMADD(b0, k0, qd[1]), VMADD(b1, k1, qd[1]);
    VMADD(c0, k0, qd[2]), VMADD(c1, k1, qd[2]), VMADD(e0, k0, qd[3]), VMADD(e1, k1, qd[3]);
    VMADD(f0, k0, qd[4]), VMADD(f1, k1, qd[4]), VMADD(g0, k0, qd[5]), VMADD(g1, k1, qd[5]);
  }
  *(vfu *)s = a0, *(vfu *)(s + 8) = a1, *(vfu *)(s + ss) = b0, *(vfu *)(s + ss + 8) = b1;
  *(vfu *)(s + 2 * ss) = c0, *(vfu *)(s + 2 * ss + 8) = c1, *(vfu *)(s + 3 * ss) = e0;
  *(vfu *)(s + 3 * ss + 8) = e1, *(vfu *)(s + 4 * ss) = f0, *(vfu *)(s + 4 * ss + 8) = f1;
  *(vfu *)(s + 5 * ss) = g0, *(vfu *)(s + 5 * ss + 8) = g1;
}
#endif

#ifdef WIDE_VECTORS
/*
 * Where the CPU has AVX-512 (32 vector registers, 16 floats each), the QKᵀ and PV micro-kernels also
 * come in 16-float vectors: the AQR × 2 sums of a tile then cover twice the keys (QKᵀ) or channels
 * (PV) for the same number of loads and broadcasts. On the AMD EPYC of docs/performance.md a 16-float
 * FMA loop does 1.6–1.7× the FLOPs of an 8-float one, and attention at T8192 H4/2 hd32 took 1.75× less CPU
 * time with these kernels (bench/attention_ab.ts, one thread). Same sums in the same order as the 8-float
 * kernels: the outputs are bit-identical. The softmax's unmasked blocks use 16-float vectors too.
 */
#define WIDE_ATTENTION 1
#include <immintrin.h>
typedef int32_t vi16 __attribute__((vector_size(64)));
/* vmax and exp2_v for 16 floats (the softmax's unmasked blocks): vmaxps keeps vmax's NaN rule. */
static inline v16 vmax16(v16 a, v16 b) { return _mm512_max_ps(a, b); }
DEFINE_EXP2(exp2_v16, v16, vi16, vmax16)
/* The low and high 8 floats of a v16: lanes j..j+7 and j+8..j+15 of a block, as the 8-float loops pair them. */
static inline vf low8(v16 x) { return __builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7); }
static inline vf high8(v16 x) { return __builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15); }

/* qk_panel over two adjacent key panels (32 keys; the second starts KP·hd floats after the first). */
static inline void qk_panel2(float *s, int ss, const float *qp, const float *panel, int hd) {
  const float *panel2 = panel + KP * hd;
  v16 a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0};
  v16 e0 = {0}, e1 = {0}, f0 = {0}, f1 = {0}, g0 = {0}, g1 = {0};
  for (int d = 0; d < hd; d++) {
    v16 k0 = *(const v16u *)(panel + d * KP), k1 = *(const v16u *)(panel2 + d * KP);
    const float *qd = qp + d * AQR;
    MADD(a0, k0, qd[0]), MADD(a1, k1, qd[0]), MADD(b0, k0, qd[1]), MADD(b1, k1, qd[1]);
    MADD(c0, k0, qd[2]), MADD(c1, k1, qd[2]), MADD(e0, k0, qd[3]), MADD(e1, k1, qd[3]);
    MADD(f0, k0, qd[4]), MADD(f1, k1, qd[4]), MADD(g0, k0, qd[5]), MADD(g1, k1, qd[5]);
  }
  *(v16u *)s = a0, *(v16u *)(s + 16) = a1, *(v16u *)(s + ss) = b0, *(v16u *)(s + ss + 16) = b1;
  *(v16u *)(s + 2 * ss) = c0, *(v16u *)(s + 2 * ss + 16) = c1, *(v16u *)(s + 3 * ss) = e0;
  *(v16u *)(s + 3 * ss + 16) = e1, *(v16u *)(s + 4 * ss) = f0, *(v16u *)(s + 4 * ss + 16) = f1;
  *(v16u *)(s + 5 * ss) = g0, *(v16u *)(s + 5 * ss + 16) = g1;
}
#endif

/*
 * acc[r][d] += Σ_j p[r][j] · v[j][d] for the AQR rows (p rows ss apart, acc rows hd apart) and keys
 * j < n of a value block ([n][hd]): AQR rows × 2 vectors of channels stay in registers while the keys
 * stream by, so each value row loaded feeds AQR rows. The block's sums start from 0 and are added to acc
 * at the end (a two-level sum: float error grows with the block and block count, not with T). A last
 * single vector of channels (head size 8 natively) keeps two sets of sums, even and odd keys, so there
 * are still 2·AQR independent FMA chains.
 */
static void pv_tile(float *acc, const float *p, int ss, const float *v, int hd, int n) {
  int d = 0;
#if defined(__wasm__) && AQR == 4
  /*
   * V8 checks every memory access against the memory's size (lea, cmp, jae; seen with perf and
   * --perf-prof), so the 4 broadcast loads of a key's weights cost more than the 8 FMAs they feed. The
   * weights are transposed once to [key][row] (4×4 shuffles), then each key's 4 weights are one load
   * and 4 lane shuffles, for every pair of channel vectors below. Same sums in the same order.
   */
  float pt[BK_MAX * AQR];
  int n4 = n & ~3;
  for (int j = 0; j < n4; j += 4) {
    vf a = *(const vfu *)(p + j), b = *(const vfu *)(p + ss + j), c = *(const vfu *)(p + 2 * ss + j);
    vf e = *(const vfu *)(p + 3 * ss + j);
    vf ab0 = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab1 = __builtin_shufflevector(a, b, 2, 6, 3, 7);
    vf ce0 = __builtin_shufflevector(c, e, 0, 4, 1, 5), ce1 = __builtin_shufflevector(c, e, 2, 6, 3, 7);
    *(vfu *)(pt + 4 * j) = __builtin_shufflevector(ab0, ce0, 0, 1, 4, 5);
    *(vfu *)(pt + 4 * j + 4) = __builtin_shufflevector(ab0, ce0, 2, 3, 6, 7);
    *(vfu *)(pt + 4 * j + 8) = __builtin_shufflevector(ab1, ce1, 0, 1, 4, 5);
    *(vfu *)(pt + 4 * j + 12) = __builtin_shufflevector(ab1, ce1, 2, 3, 6, 7);
  }
  for (; d + 2 * VW <= hd && n4 > 0; d += 2 * VW) {
    float *o = acc + d;
    vf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0}, e0 = {0}, e1 = {0};
    const float *vj = v + d;
    for (int j = 0; j < n4; j++, vj += hd) {
      vf x0 = *(const vfu *)vj, x1 = *(const vfu *)(vj + VW), w = *(const vfu *)(pt + 4 * j);
      vf wr = __builtin_shufflevector(w, w, 0, 0, 0, 0);
      VMADDV(a0, x0, wr), VMADDV(a1, x1, wr);
      wr = __builtin_shufflevector(w, w, 1, 1, 1, 1);
      VMADDV(b0, x0, wr), VMADDV(b1, x1, wr);
      wr = __builtin_shufflevector(w, w, 2, 2, 2, 2);
      VMADDV(c0, x0, wr), VMADDV(c1, x1, wr);
      wr = __builtin_shufflevector(w, w, 3, 3, 3, 3);
      VMADDV(e0, x0, wr), VMADDV(e1, x1, wr);
    }
    for (int j = n4; j < n; j++, vj += hd) { /* the last n % 4 keys */
      vf x0 = *(const vfu *)vj, x1 = *(const vfu *)(vj + VW);
      const float *pj = p + j;
      VMADD(a0, x0, pj[0]), VMADD(a1, x1, pj[0]), VMADD(b0, x0, pj[ss]), VMADD(b1, x1, pj[ss]);
      VMADD(c0, x0, pj[2 * ss]), VMADD(c1, x1, pj[2 * ss]), VMADD(e0, x0, pj[3 * ss]), VMADD(e1, x1, pj[3 * ss]);
    }
    *(vfu *)o += a0, *(vfu *)(o + VW) += a1, *(vfu *)(o + hd) += b0, *(vfu *)(o + hd + VW) += b1;
    *(vfu *)(o + 2 * hd) += c0, *(vfu *)(o + 2 * hd + VW) += c1;
    *(vfu *)(o + 3 * hd) += e0, *(vfu *)(o + 3 * hd + VW) += e1;
  }
#endif
#ifdef WIDE_ATTENTION
  for (; d + 32 <= hd; d += 32) { /* the loop below in 16-float vectors (AQR is 6 natively) */
    float *o = acc + d;
    v16 a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0};
    v16 e0 = {0}, e1 = {0}, f0 = {0}, f1 = {0}, g0 = {0}, g1 = {0};
    for (int j = 0; j < n; j++) {
      v16 x0 = *(const v16u *)(v + (int64_t)j * hd + d), x1 = *(const v16u *)(v + (int64_t)j * hd + d + 16);
      const float *pj = p + j;
      MADD(a0, x0, pj[0]), MADD(a1, x1, pj[0]), MADD(b0, x0, pj[ss]), MADD(b1, x1, pj[ss]);
      MADD(c0, x0, pj[2 * ss]), MADD(c1, x1, pj[2 * ss]), MADD(e0, x0, pj[3 * ss]), MADD(e1, x1, pj[3 * ss]);
      MADD(f0, x0, pj[4 * ss]), MADD(f1, x1, pj[4 * ss]), MADD(g0, x0, pj[5 * ss]), MADD(g1, x1, pj[5 * ss]);
    }
    *(v16u *)o += a0, *(v16u *)(o + 16) += a1, *(v16u *)(o + hd) += b0, *(v16u *)(o + hd + 16) += b1;
    *(v16u *)(o + 2 * hd) += c0, *(v16u *)(o + 2 * hd + 16) += c1;
    *(v16u *)(o + 3 * hd) += e0, *(v16u *)(o + 3 * hd + 16) += e1;
    *(v16u *)(o + 4 * hd) += f0, *(v16u *)(o + 4 * hd + 16) += f1;
    *(v16u *)(o + 5 * hd) += g0, *(v16u *)(o + 5 * hd + 16) += g1;
  }
#endif
  for (; d + 2 * VW <= hd; d += 2 * VW) {
    float *o = acc + d;
    vf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0}, e0 = {0}, e1 = {0};
#if AQR == 6
    vf f0 = {0}, f1 = {0}, g0 = {0}, g1 = {0};
#endif
    for (int j = 0; j < n; j++) {
      vf x0 = *(const vfu *)(v + (int64_t)j * hd + d), x1 = *(const vfu *)(v + (int64_t)j * hd + d + VW);
      const float *pj = p + j;
      VMADD(a0, x0, pj[0]), VMADD(a1, x1, pj[0]), VMADD(b0, x0, pj[ss]), VMADD(b1, x1, pj[ss]);
      VMADD(c0, x0, pj[2 * ss]), VMADD(c1, x1, pj[2 * ss]), VMADD(e0, x0, pj[3 * ss]), VMADD(e1, x1, pj[3 * ss]);
#if AQR == 6
      VMADD(f0, x0, pj[4 * ss]), VMADD(f1, x1, pj[4 * ss]), VMADD(g0, x0, pj[5 * ss]), VMADD(g1, x1, pj[5 * ss]);
#endif
    }
    *(vfu *)o += a0, *(vfu *)(o + VW) += a1, *(vfu *)(o + hd) += b0, *(vfu *)(o + hd + VW) += b1;
    *(vfu *)(o + 2 * hd) += c0, *(vfu *)(o + 2 * hd + VW) += c1;
    *(vfu *)(o + 3 * hd) += e0, *(vfu *)(o + 3 * hd + VW) += e1;
#if AQR == 6
    *(vfu *)(o + 4 * hd) += f0, *(vfu *)(o + 4 * hd + VW) += f1;
    *(vfu *)(o + 5 * hd) += g0, *(vfu *)(o + 5 * hd + VW) += g1;
#endif
  }
  for (; d + VW <= hd; d += VW) {
    vf a[AQR], b[AQR];
    for (int r = 0; r < AQR; r++) a[r] = (vf){0}, b[r] = (vf){0};
    int j = 0;
    for (; j + 2 <= n; j += 2) {
      vf x0 = *(const vfu *)(v + (int64_t)j * hd + d), x1 = *(const vfu *)(v + (int64_t)(j + 1) * hd + d);
      for (int r = 0; r < AQR; r++) VMADD(a[r], x0, p[r * ss + j]), VMADD(b[r], x1, p[r * ss + j + 1]);
    }
    for (; j < n; j++) {
      vf x0 = *(const vfu *)(v + (int64_t)j * hd + d);
      for (int r = 0; r < AQR; r++) VMADD(a[r], x0, p[r * ss + j]);
    }
    for (int r = 0; r < AQR; r++) *(vfu *)(acc + r * hd + d) += a[r] + b[r];
  }
  for (; d < hd; d++) { /* a head size that is not a multiple of the vector width */
    for (int r = 0; r < AQR; r++) {
      float a = 0;
      for (int j = 0; j < n; j++) a += p[r * ss + j] * v[(int64_t)j * hd + d];
      acc[r * hd + d] += a;
    }
  }
}

/*
 * How far (log2 units) a block's max may exceed a row's running max m before m is raised: below it the
 * block's p = 2^(s − m) ≤ 2^8 are used as they are (exact either way: out = acc / l, both scaled alike),
 * so after the first blocks most skip the rescaling of acc and l and its 2^(m_old − m_new).
 */
#define MAX_SLACK 8.0f

/*
 * Online-softmax step of one micro-tile over scores s[r][0..np) (rows ss apart; np a multiple of 16)
 * of keys j0.. : when `masked` (a block on a causal, window or document edge, or past the last key),
 * keys outside [first[r], last[r]] become −inf by a per-lane select, not a branch; then per row, when
 * the block's max exceeds the running max m by more than MAX_SLACK, m rises to it and the running sums
 * l (VW lanes per row, added up at the end) and accumulator acc are rescaled by 2^(m_old − m_new); the
 * scores become p = 2^(s − m) (scores are in log2 units: q was scaled by log2 e).
 */
static void softmax_tile(float *s, int ss, int np, int j0, int masked, const int *first, const int *last,
                         float *m, float *l, float *acc, int hd) {
  vi iota;
  for (int i = 0; i < VW; i++) iota[i] = i;
  vf ninf = (vf){0} - INFINITY;
  for (int r = 0; r < AQR; r++) {
    float *sr = s + r * ss;
    vf mx = ninf, mx1 = ninf; /* two chains of maxima */
    if (masked) {
      vi f = (vi){0} + (first[r] - j0), e = (vi){0} + (last[r] - j0);
      for (int j = 0; j < np; j += VW) {
        vi idx = iota + j;
        vf x = vsel((idx >= f) & (idx <= e), *(vfu *)(sr + j), ninf);
        *(vfu *)(sr + j) = x;
        mx = vmax(x, mx);
      }
    } else {
#ifdef WIDE_ATTENTION
      v16 mw = (v16){0} - INFINITY;
      for (int j = 0; j < np; j += 16) mw = vmax16(*(v16u *)(sr + j), mw);
      mx = low8(mw), mx1 = high8(mw);
#else
      for (int j = 0; j < np; j += 2 * VW) mx = vmax(*(vfu *)(sr + j), mx), mx1 = vmax(*(vfu *)(sr + j + VW), mx1);
#endif
    }
    float bmax = hmax(vmax(mx, mx1));
    if (bmax > m[r] + MAX_SLACK) { /* also the first visible block: m = −inf */
      if (m[r] != -INFINITY) {
        float corr = exp2_v((vf){0} + (m[r] - bmax))[0];
        *(vfu *)(l + r * VW) *= corr;
        for (int d = 0; d < hd; d++) acc[r * hd + d] *= corr;
      }
      m[r] = bmax;
    } else if (m[r] == -INFINITY) { /* nothing visible to this row yet: p = 0, state unchanged */
      memset(sr, 0, sizeof(float) * np);
      continue;
    }
    vf mr = (vf){0} + m[r], sum = {0}, sum1 = {0};
#ifdef WIDE_ATTENTION
    v16 mr16 = (v16){0} + m[r], sum16 = {0};
    for (int j = 0; j < np; j += 16) {
      v16 p = exp2_v16(*(v16u *)(sr + j) - mr16);
      *(v16u *)(sr + j) = p;
      sum16 += p;
    }
    sum = low8(sum16), sum1 = high8(sum16);
    (void)mr;
#else
    for (int j = 0; j < np; j += 2 * VW) {
      vf p0 = exp2_v(*(vfu *)(sr + j) - mr), p1 = exp2_v(*(vfu *)(sr + j + VW) - mr);
      *(vfu *)(sr + j) = p0, *(vfu *)(sr + j + VW) = p1;
      sum += p0, sum1 += p1;
    }
#endif
    *(vfu *)(l + r * VW) += sum + sum1;
  }
}

/*
 * Causal GQA attention with online softmax (flash attention) over a key cache (rk_store_keys: keys
 * packed in 16-key panels once, when stored) and a value cache (rk_store_values) of `capacity`
 * positions. Query row t (q/out [T][nHeads·hd]) is at position qOffset + t and attends to keys
 * first[t]..qOffset+t, where first[t] = firstKey ? firstKey[t] : 0 (documents and sliding windows are
 * both expressed through firstKey):
 *   out[t][h] = Σ_s softmax_s(scale · q[t][h]·k[s][g]) v[s][g],  g = h / (nHeads/nKv).
 * A work item is AQT·AQR query rows of every head of one KV group: each block of keys and values
 * (in L1) is used by all of them, the heads of the group included. Per micro-tile of AQR rows and
 * block, QKᵀ and PV run as register-blocked micro-kernels and the softmax as vector code; blocks a
 * micro-tile cannot see are skipped, partly visible ones masked. Scratch is O(block), never T×T.
 */
void rk_attention(float *out, const float *q, const float *kp, const float *vc, int T, int qOffset,
                  int capacity, int nHeads, int nKv, int hd, float scale, const int32_t *firstKey) {
  int group = nHeads / nKv, qStride = nHeads * hd, R = AQT * AQR;
  int bk = BKF / hd; /* keys per block: a K and a V block of 16 KB each stay in L1 */
  bk = bk < 32 ? 32 : bk > BK_MAX ? BK_MAX : bk & ~15;
  int tiles = (T + R - 1) / R;
  int64_t keyHead = (int64_t)((capacity + KP - 1) / KP) * KP * hd, valueHead = (int64_t)capacity * hd;
  double qscale = scale * 1.4426950408889634; /* scores in log2 units, so the softmax uses 2^x */
#pragma omp parallel
  {
    int gr = group * R; /* rows of a work item over the group's heads */
    float *s = malloc(sizeof(float) * AQR * bk);
    float *acc = malloc(sizeof(float) * (size_t)gr * hd);
    float *qp = malloc(sizeof(float) * (size_t)gr * hd);
    float *m = malloc(sizeof(float) * gr);
    float *l = malloc(sizeof(float) * (size_t)gr * VW); /* VW running sums per row */
    /* Work items (row tile, KV group), the late (long) row tiles first so dynamic scheduling balances the triangle. */
#pragma omp for schedule(dynamic, 1)
    for (int item = 0; item < tiles * nKv; item++) {
      int t0 = (tiles - 1 - item / nKv) * R, g = item % nKv;
      int rows = T - t0 < R ? T - t0 : R, units = (rows + AQR - 1) / AQR;
      int first[AQT * AQR], last[AQT * AQR], uLo[AQT], uHi[AQT], uMaxFirst[AQT], uMinLast[AQT];
      int lo = INT32_MAX, hi = -1;
      for (int u = 0; u < units; u++) {
        uLo[u] = INT32_MAX, uHi[u] = -1, uMaxFirst[u] = 0, uMinLast[u] = INT32_MAX;
        for (int r = u * AQR; r < (u + 1) * AQR; r++) {
          int t = t0 + r;
          first[r] = r < rows ? (firstKey ? firstKey[t] : 0) : INT32_MAX;
          last[r] = r < rows ? qOffset + t : -1; /* a padding row attends to nothing */
          if (r < rows) {
            uLo[u] = first[r] < uLo[u] ? first[r] : uLo[u];
            uHi[u] = last[r] > uHi[u] ? last[r] : uHi[u];
          }
          uMaxFirst[u] = first[r] > uMaxFirst[u] ? first[r] : uMaxFirst[u];
          uMinLast[u] = last[r] < uMinLast[u] ? last[r] : uMinLast[u];
        }
        lo = uLo[u] < lo ? uLo[u] : lo;
        hi = uHi[u] > hi ? uHi[u] : hi;
      }
      /* q rows of each head, scaled and packed [hd][AQR] per micro-tile (the broadcasts of qk_panel). */
      for (int hl = 0; hl < group; hl++) {
        int h = g * group + hl;
        for (int r = 0; r < units * AQR; r++) {
          const float *qr = q + (int64_t)(t0 + (r < rows ? r : rows - 1)) * qStride + h * hd;
          float *dst = qp + ((int64_t)hl * R + (r / AQR) * AQR) * hd + r % AQR;
          for (int d = 0; d < hd; d++) dst[d * AQR] = (float)(qr[d] * qscale); /* one rounding */
          m[hl * R + r] = -INFINITY;
        }
      }
      memset(acc, 0, sizeof(float) * (size_t)gr * hd);
      memset(l, 0, sizeof(float) * (size_t)gr * VW);
      lo -= lo % KP; /* start on a key panel */
      for (int j0 = lo; j0 <= hi; j0 += bk) {
        int n = hi + 1 - j0 < bk ? hi + 1 - j0 : bk;
        const float *kb = kp + g * keyHead + (int64_t)j0 * hd; /* j0 is a multiple of 16 */
        const float *vb = vc + g * valueHead + (int64_t)j0 * hd;
        for (int u = 0; u < units; u++) {
          if (uHi[u] < j0 || uLo[u] >= j0 + n) continue; /* the micro-tile sees nothing of this block */
          int js = uLo[u] > j0 ? (uLo[u] - j0) & ~(KP - 1) : 0; /* its first visible panel */
          int nu = uHi[u] + 1 - j0 < n ? uHi[u] + 1 - j0 : n;  /* keys up to its last row */
          int np = (nu + KP - 1) & ~(KP - 1);
          int masked = !(j0 + js >= uMaxFirst[u] && j0 + np - 1 <= uMinLast[u]);
          for (int hl = 0; hl < group; hl++) {
            int r0 = hl * R + u * AQR;
            const float *qu = qp + (int64_t)r0 * hd;
            int j = js;
#ifdef WIDE_ATTENTION
            for (; j + 2 * KP <= np; j += 2 * KP) qk_panel2(s + j - js, bk, qu, kb + (int64_t)j * hd, hd);
#endif
            for (; j < np; j += KP) qk_panel(s + j - js, bk, qu, kb + (int64_t)j * hd, hd);
            softmax_tile(s, bk, np - js, j0 + js, masked, first + u * AQR, last + u * AQR, m + r0, l + r0 * VW,
                         acc + (int64_t)r0 * hd, hd);
            pv_tile(acc + (int64_t)r0 * hd, s, bk, vb + (int64_t)js * hd, hd, nu - js);
          }
        }
      }
      for (int hl = 0; hl < group; hl++) {
        int h = g * group + hl;
        for (int r = 0; r < rows; r++) {
          float *o = out + (int64_t)(t0 + r) * qStride + h * hd;
          const float *a = acc + ((int64_t)hl * R + r) * hd;
          double sum = 0;
          for (int i = 0; i < VW; i++) sum += l[(hl * R + r) * VW + i];
          double inv = 1.0 / sum;
          for (int d = 0; d < hd; d++) o[d] = (float)(a[d] * inv);
        }
      }
    }
    free(s), free(acc), free(qp), free(m), free(l);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Training: transposes and the attention backward                                             */
/* ------------------------------------------------------------------------------------------ */

/* out[c][r] = in[r][c] for an in of rows × cols, in tiles of 32 so both sides stay in cache. */
void rk_transpose(float *out, const float *in, int rows, int cols) {
#pragma omp parallel for schedule(static) if ((int64_t)rows * cols > 65536)
  for (int r0 = 0; r0 < rows; r0 += 32) {
    for (int c0 = 0; c0 < cols; c0 += 32) {
      int r1 = r0 + 32 < rows ? r0 + 32 : rows, c1 = c0 + 32 < cols ? c0 + 32 : cols;
      for (int r = r0; r < r1; r++) {
        for (int c = c0; c < c1; c++) out[(int64_t)c * rows + r] = in[(int64_t)r * cols + c];
      }
    }
  }
}

/* Rows of queries per block of the attention backward: its score block is AR × (keys ≤ T). */
#define AR 32

/*
 * Backward of causal GQA attention (q/out/dOut [T][nHeads·hd], k/v/dk/dv [T][nKv·hd]; row t sees keys
 * first[t]..t, or 0..t without `first`). With P = softmax_s(scale·q_t·k_s), D_t = dO_t·O_t:
 *   dS_ts = P_ts·(dO_t·v_s − D_t),  dq_t += scale·Σ_s dS_ts·k_s,
 *   dk_s += scale·Σ_t dS_ts·q_t,    dv_s += Σ_t P_ts·dO_t   (t over the heads of s's KV group).
 * A work item is one head: it walks blocks of AR query rows, builds the block's scores over its keys
 * (AR × keys, never T × T), and every product runs with the key index innermost over keys and values
 * held transposed ([hd][T]), so the loops vectorise for head sizes as small as 8. Each head sums its
 * dk/dv in its own buffer and the heads of a group are added in head order at the end: every element
 * is summed in a fixed order, so gradients are identical for any thread count (exact resume needs it).
 * dq, dk, dv are accumulated (+=).
 */
void rk_attention_backward(float *dq, float *dk, float *dv, const float *dOut, const float *q, const float *k,
                           const float *v, const float *out, int T, int nHeads, int nKv, int hd, float scale,
                           const int32_t *first) {
  int group = nHeads / nKv, qStride = nHeads * hd, kvStride = nKv * hd;
  int64_t headFloats = (int64_t)hd * T;
  float *kt = malloc(sizeof(float) * headFloats * nKv), *vt = malloc(sizeof(float) * headFloats * nKv);
  float *dkt = calloc(headFloats * nHeads, sizeof(float)), *dvt = calloc(headFloats * nHeads, sizeof(float));
  for (int g = 0; g < nKv; g++) {
    for (int s = 0; s < T; s++) {
      for (int d = 0; d < hd; d++) {
        kt[g * headFloats + (int64_t)d * T + s] = k[(int64_t)s * kvStride + g * hd + d];
        vt[g * headFloats + (int64_t)d * T + s] = v[(int64_t)s * kvStride + g * hd + d];
      }
    }
  }
#pragma omp parallel
  {
    float *ps = malloc(sizeof(float) * AR * T), *ds = malloc(sizeof(float) * AR * T);
#pragma omp for schedule(dynamic, 1)
    for (int h = 0; h < nHeads; h++) {
      int g = h / group;
      const float *ktg = kt + g * headFloats, *vtg = vt + g * headFloats;
      float *dkh = dkt + h * headFloats, *dvh = dvt + h * headFloats;
      for (int t0 = 0; t0 < T; t0 += AR) {
        int rows = T - t0 < AR ? T - t0 : AR, lo = t0, n;
        for (int r = 0; r < rows; r++) {
          int f = first ? first[t0 + r] : 0;
          lo = f < lo ? f : lo;
        }
        n = t0 + rows - lo; /* keys lo .. t0+rows−1 */
        for (int r = 0; r < rows; r++) {
          int t = t0 + r, f = first ? first[t] : 0;
          const float *qt = q + (int64_t)t * qStride + h * hd, *dot = dOut + (int64_t)t * qStride + h * hd;
          const float *ot = out + (int64_t)t * qStride + h * hd;
          float *p = ps + r * n, *dp = ds + r * n;
          for (int j = 0; j < n; j++) p[j] = 0, dp[j] = 0;
          for (int d = 0; d < hd; d++) {
            const float *kd = ktg + (int64_t)d * T + lo, *vd = vtg + (int64_t)d * T + lo;
            float qd = qt[d] * scale, od = dot[d];
#pragma omp simd
            for (int j = 0; j < n; j++) p[j] += qd * kd[j], dp[j] += od * vd[j];
          }
          int j0 = f - lo, j1 = t - lo; /* visible keys j0..j1 */
          float max = -INFINITY, D = 0;
          for (int j = j0; j <= j1; j++) max = p[j] > max ? p[j] : max;
          double sum = 0;
          for (int j = j0; j <= j1; j++) sum += (p[j] = rk_exp(p[j] - max));
          float inv = (float)(1.0 / sum);
          for (int d = 0; d < hd; d++) D += dot[d] * ot[d];
          for (int j = 0; j < n; j++) {
            int visible = j >= j0 && j <= j1;
            p[j] = visible ? p[j] * inv : 0.0f;
            dp[j] = visible ? p[j] * (dp[j] - D) * scale : 0.0f; /* dS, scale folded in */
          }
          float *dqt = dq + (int64_t)t * qStride + h * hd;
          for (int d = 0; d < hd; d++) {
            const float *kd = ktg + (int64_t)d * T + lo;
            float a = 0;
#pragma omp simd reduction(+ : a)
            for (int j = 0; j < n; j++) a += dp[j] * kd[j];
            dqt[d] += a;
          }
        }
        for (int r = 0; r < rows; r++) {
          int t = t0 + r;
          const float *qt = q + (int64_t)t * qStride + h * hd, *dot = dOut + (int64_t)t * qStride + h * hd;
          const float *p = ps + r * n, *dsr = ds + r * n;
          for (int d = 0; d < hd; d++) {
            float *dkd = dkh + (int64_t)d * T + lo, *dvd = dvh + (int64_t)d * T + lo;
            float qd = qt[d], od = dot[d];
#pragma omp simd
            for (int j = 0; j < n; j++) dkd[j] += dsr[j] * qd, dvd[j] += p[j] * od;
          }
        }
      }
    }
    free(ps), free(ds);
  }
  for (int g = 0; g < nKv; g++) {
    for (int h = g * group; h < (g + 1) * group; h++) {
      const float *dkh = dkt + h * headFloats, *dvh = dvt + h * headFloats;
      for (int s = 0; s < T; s++) {
        for (int d = 0; d < hd; d++) {
          dk[(int64_t)s * kvStride + g * hd + d] += dkh[(int64_t)d * T + s];
          dv[(int64_t)s * kvStride + g * hd + d] += dvh[(int64_t)d * T + s];
        }
      }
    }
  }
  free(kt), free(vt), free(dkt), free(dvt);
}

/* Backward of rk_swiglu: dGate += dOut·up·silu'(gate), dUp += dOut·silu(gate). */
void rk_swiglu_backward(float *dGate, float *dUp, const float *dOut, const float *gate, const float *up,
                        int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) {
    float sig = 1.0f / (1.0f + rk_exp(-gate[i])), silu = gate[i] * sig;
    dUp[i] += dOut[i] * silu;
    dGate[i] += dOut[i] * up[i] * (sig + silu * (1.0f - sig));
  }
}

/*
 * Backward of the LM head's NLL from its logits, in place: logits[r] becomes
 * lossScale·(softmax(logits[r]) − onehot(targets[r])), and nll[r] gets the row's NLL.
 */
void rk_softmax_nll_grad(float *logits, float *nll, const int32_t *targets, int rows, int V, float lossScale) {
#pragma omp parallel for schedule(static) if (rows > 16)
  for (int r = 0; r < rows; r++) {
    float *row = logits + (int64_t)r * V;
    float max = -INFINITY;
    for (int i = 0; i < V; i++) max = row[i] > max ? row[i] : max;
    double sum = 0;
    for (int i = 0; i < V; i++) sum += rk_exp(row[i] - max);
    float lse = (float)(max + log(sum)), target = row[targets[r]];
    nll[r] = lse - target;
    for (int i = 0; i < V; i++) row[i] = lossScale * rk_exp(row[i] - lse);
    row[targets[r]] -= lossScale;
  }
}

/* Matmul over encoded (GGUF-quantized) weights: its own file, one translation unit with this one. */
#include "quant.c"
