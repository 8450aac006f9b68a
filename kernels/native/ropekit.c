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
      for (int t0 = t_begin; t0 < t_end; t0 += MR) {
        float *dst = xp + (int64_t)(t0 - t_begin) * K;
        for (int r = 0; r < MR; r++) {
          const float *row = x + (int64_t)(t0 + r < t_end ? t0 + r : t_end - 1) * K;
          for (int k = 0; k < K; k++) dst[k * MR + r] = row[k];
        }
      }
      float tile[MR][NR];
      for (int p = p_begin; p < p_end; p++) {
        const float *panel = packed + (int64_t)p * NR * K;
        int n0 = p * NR, cols = N - n0 < NR ? N - n0 : NR;
        for (int t0 = t_begin; t0 < t_end; t0 += MR) {
          int rows = t_end - t0 < MR ? t_end - t0 : MR;
          micro_kernel(tile, xp + (int64_t)(t0 - t_begin) * K, panel, K);
          for (int r = 0; r < rows; r++) {
            float *o = out + (int64_t)(t0 + r) * N + n0;
            for (int c = 0; c < cols; c++) {
              o[c] = (accumulate ? o[c] : 0.0f) + tile[r][c] + (bias ? bias[n0 + c] : 0.0f);
            }
          }
        }
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

/* Keys per panel of the key cache (the width of scores_tile). */
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

#define QR 4 /* query rows per micro-tile (a quad): each key/value loaded feeds 4 rows */

/*
 * s[r][j] = Σ_d qs[r][d] · k[j][d] for the QR rows of qs ([QR][hd], pre-scaled) and keys j < n rounded
 * up to 16, k given as rk_store_keys' panels starting at the block's first panel. A register-blocked
 * micro-kernel like the matmul's: 4 rows × 16 keys of sums stay in 8 vector registers over the whole
 * d loop. Scores of keys past n are computed from whatever the panel holds and ignored.
 */
#ifdef __wasm__
/* The same in two passes of 8 keys: 4 rows × 2 vectors of sums. */
static void scores_tile(float *s, int bk, const float *qs, int hd, const float *kp, int n) {
  for (int j = 0; j < n; j += KP) {
    const float *panel = kp + (int64_t)(j / KP) * KP * hd;
    for (int h = 0; h < KP; h += 8) {
      v4 a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0}, e0 = {0}, e1 = {0};
      for (int d = 0; d < hd; d++) {
        v4 k0 = *(const v4u *)(panel + d * KP + h), k1 = *(const v4u *)(panel + d * KP + h + 4);
        float q0 = qs[d], q1 = qs[hd + d], q2 = qs[2 * hd + d], q3 = qs[3 * hd + d];
        MADD4(a0, k0, q0), MADD4(a1, k1, q0), MADD4(b0, k0, q1), MADD4(b1, k1, q1);
        MADD4(c0, k0, q2), MADD4(c1, k1, q2), MADD4(e0, k0, q3), MADD4(e1, k1, q3);
      }
      float *o = s + j + h;
      *(v4u *)o = a0, *(v4u *)(o + 4) = a1, *(v4u *)(o + bk) = b0, *(v4u *)(o + bk + 4) = b1;
      *(v4u *)(o + 2 * bk) = c0, *(v4u *)(o + 2 * bk + 4) = c1;
      *(v4u *)(o + 3 * bk) = e0, *(v4u *)(o + 3 * bk + 4) = e1;
    }
  }
}
#else
static void scores_tile(float *s, int bk, const float *qs, int hd, const float *kp, int n) {
  for (int j = 0; j < n; j += KP) {
    const float *panel = kp + (int64_t)(j / KP) * KP * hd;
    v8 a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0}, e0 = {0}, e1 = {0};
    for (int d = 0; d < hd; d++) {
      v8 k0 = *(const v8u *)(panel + d * KP), k1 = *(const v8u *)(panel + d * KP + 8);
      float q0 = qs[d], q1 = qs[hd + d], q2 = qs[2 * hd + d], q3 = qs[3 * hd + d];
      MADD(a0, k0, q0), MADD(a1, k1, q0), MADD(b0, k0, q1), MADD(b1, k1, q1);
      MADD(c0, k0, q2), MADD(c1, k1, q2), MADD(e0, k0, q3), MADD(e1, k1, q3);
    }
    *(v8u *)(s + j) = a0, *(v8u *)(s + j + 8) = a1;
    *(v8u *)(s + bk + j) = b0, *(v8u *)(s + bk + j + 8) = b1;
    *(v8u *)(s + 2 * bk + j) = c0, *(v8u *)(s + 2 * bk + j + 8) = c1;
    *(v8u *)(s + 3 * bk + j) = e0, *(v8u *)(s + 3 * bk + j + 8) = e1;
  }
}
#endif

/*
 * acc[r][d] += Σ_j s[r][j] · v[j][d] for the QR rows (s rows bk apart, acc rows hd apart) and keys
 * j < n of a value block v ([n][hd]). Output channels in registers (4 rows × 16 channels = 8 vectors)
 * while the keys stream by: each value row loaded feeds 4 rows, and no horizontal sums are needed.
 */
static void pv_tile(float *acc, const float *s, int bk, const float *v, int hd, int n) {
  int d = 0;
#ifndef __wasm__
  for (; d + 16 <= hd; d += 16) {
    v8 a0 = *(v8u *)(acc + d), a1 = *(v8u *)(acc + d + 8);
    v8 b0 = *(v8u *)(acc + hd + d), b1 = *(v8u *)(acc + hd + d + 8);
    v8 c0 = *(v8u *)(acc + 2 * hd + d), c1 = *(v8u *)(acc + 2 * hd + d + 8);
    v8 e0 = *(v8u *)(acc + 3 * hd + d), e1 = *(v8u *)(acc + 3 * hd + d + 8);
    for (int j = 0; j < n; j++) {
      v8 x0 = *(const v8u *)(v + (int64_t)j * hd + d), x1 = *(const v8u *)(v + (int64_t)j * hd + d + 8);
      float p0 = s[j], p1 = s[bk + j], p2 = s[2 * bk + j], p3 = s[3 * bk + j];
      MADD(a0, x0, p0), MADD(a1, x1, p0), MADD(b0, x0, p1), MADD(b1, x1, p1);
      MADD(c0, x0, p2), MADD(c1, x1, p2), MADD(e0, x0, p3), MADD(e1, x1, p3);
    }
    *(v8u *)(acc + d) = a0, *(v8u *)(acc + d + 8) = a1;
    *(v8u *)(acc + hd + d) = b0, *(v8u *)(acc + hd + d + 8) = b1;
    *(v8u *)(acc + 2 * hd + d) = c0, *(v8u *)(acc + 2 * hd + d + 8) = c1;
    *(v8u *)(acc + 3 * hd + d) = e0, *(v8u *)(acc + 3 * hd + d + 8) = e1;
  }
  for (; d + 8 <= hd; d += 8) { /* headDim 8 (stories260K) lands here */
    v8 a0 = *(v8u *)(acc + d), b0 = *(v8u *)(acc + hd + d);
    v8 c0 = *(v8u *)(acc + 2 * hd + d), e0 = *(v8u *)(acc + 3 * hd + d);
    for (int j = 0; j < n; j++) {
      v8 x0 = *(const v8u *)(v + (int64_t)j * hd + d);
      MADD(a0, x0, s[j]), MADD(b0, x0, s[bk + j]), MADD(c0, x0, s[2 * bk + j]), MADD(e0, x0, s[3 * bk + j]);
    }
    *(v8u *)(acc + d) = a0, *(v8u *)(acc + hd + d) = b0;
    *(v8u *)(acc + 2 * hd + d) = c0, *(v8u *)(acc + 3 * hd + d) = e0;
  }
#else
  for (; d + 8 <= hd; d += 8) { /* WebAssembly: 4 rows × 8 channels (8 v4 sums) */
    v4 a0 = *(v4u *)(acc + d), a1 = *(v4u *)(acc + d + 4), b0 = *(v4u *)(acc + hd + d), b1 = *(v4u *)(acc + hd + d + 4);
    v4 c0 = *(v4u *)(acc + 2 * hd + d), c1 = *(v4u *)(acc + 2 * hd + d + 4);
    v4 e0 = *(v4u *)(acc + 3 * hd + d), e1 = *(v4u *)(acc + 3 * hd + d + 4);
    for (int j = 0; j < n; j++) {
      v4 x0 = *(const v4u *)(v + (int64_t)j * hd + d), x1 = *(const v4u *)(v + (int64_t)j * hd + d + 4);
      float p0 = s[j], p1 = s[bk + j], p2 = s[2 * bk + j], p3 = s[3 * bk + j];
      MADD4(a0, x0, p0), MADD4(a1, x1, p0), MADD4(b0, x0, p1), MADD4(b1, x1, p1);
      MADD4(c0, x0, p2), MADD4(c1, x1, p2), MADD4(e0, x0, p3), MADD4(e1, x1, p3);
    }
    *(v4u *)(acc + d) = a0, *(v4u *)(acc + d + 4) = a1, *(v4u *)(acc + hd + d) = b0, *(v4u *)(acc + hd + d + 4) = b1;
    *(v4u *)(acc + 2 * hd + d) = c0, *(v4u *)(acc + 2 * hd + d + 4) = c1;
    *(v4u *)(acc + 3 * hd + d) = e0, *(v4u *)(acc + 3 * hd + d + 4) = e1;
  }
#endif
  for (; d < hd; d++) { /* a head size that is not a multiple of 8: plain loops for the rest */
    for (int r = 0; r < QR; r++) {
      float a = 0;
      for (int j = 0; j < n; j++) a += s[r * bk + j] * v[(int64_t)j * hd + d];
      acc[r * hd + d] += a;
    }
  }
}

/*
 * Online-softmax step for the QR rows of one quad over a block of n scores s (rows bk apart), keys
 * j0..j0+n−1: masks keys outside [first[r], last[r]], raises the running max m, rescales the running
 * sum l and accumulator acc by e^(m_old − m_new), and replaces the scores by p = e^(s − m_new).
 */
static void softmax_block(float *s, int bk, int n, int j0, const int *first, const int *last, float *m,
                          double *l, float *acc, int hd) {
  for (int r = 0; r < QR; r++) {
    float *sr = s + r * bk;
    int f = first[r] - j0, e = last[r] - j0;
    float bmax = -INFINITY;
    if (f > 0 || e < n - 1) { /* a block on a causal or document boundary */
#pragma omp simd reduction(max : bmax)
      for (int j = 0; j < n; j++) {
        float v = (j < f || j > e) ? -INFINITY : sr[j];
        sr[j] = v;
        bmax = v > bmax ? v : bmax;
      }
    } else {
      bmax = max_of(sr, n, bmax);
    }
    if (bmax == -INFINITY) { /* nothing visible in this block: p = 0, state unchanged */
      memset(sr, 0, sizeof(float) * n);
      continue;
    }
    float mNew = bmax > m[r] ? bmax : m[r];
    float corr = rk_exp(m[r] - mNew); /* 0 on the first block (m = −inf) */
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < n; j++) {
      float p = rk_exp(sr[j] - mNew);
      sr[j] = p;
      sum += p;
    }
    l[r] = l[r] * corr + sum;
    m[r] = mNew;
    for (int d = 0; d < hd; d++) acc[r * hd + d] *= corr;
  }
}

#define QB 4 /* quads per work item: each key/value block loaded from L2 feeds 16 query rows */

/*
 * Causal GQA attention with online softmax, over a key cache (rk_store_keys) and a value cache
 * (rk_store_values) of `capacity` positions. Query row t (q/out [T][nHeads·hd]) is at position
 * qOffset + t and attends to keys first[t]..qOffset+t, where first[t] = firstKey ? firstKey[t] : 0
 * (packed documents):
 *   out[t][h] = Σ_s softmax_s(scale · q[t][h]·k[s][g]) v[s][g],  g = h / (nHeads/nKv).
 * A work item is 16 query rows (4 quads) of one head; it walks the keys in blocks small enough that a
 * block of keys and values (2 × 8 KB) stays in L1 while all four quads use it. Per block and row the
 * running max, sum and accumulator are rescaled (flash attention). Scratch is O(block), never T×T.
 */
void rk_attention(float *out, const float *q, const float *kp, const float *vc, int T, int qOffset,
                  int capacity, int nHeads, int nKv, int hd, float scale, const int32_t *firstKey) {
  int group = nHeads / nKv, qStride = nHeads * hd, rowsPerItem = QB * QR;
  int bk = 2048 / hd; /* keys per block: K and V blocks of 8 KB each stay in L1 (measured best) */
  bk = bk < 32 ? 32 : bk > 512 ? 512 : bk & ~15; /* a multiple of scores_tile's 16 */
  int items = (T + rowsPerItem - 1) / rowsPerItem;
  int64_t keyHead = (int64_t)((capacity + KP - 1) / KP) * KP * hd, valueHead = (int64_t)capacity * hd;
#pragma omp parallel
  {
    float *s = malloc(sizeof(float) * rowsPerItem * bk);
    float *acc = malloc(sizeof(float) * rowsPerItem * hd);
    float *qs = malloc(sizeof(float) * rowsPerItem * hd);
    /* Work items (rows, head), the late (long) row blocks first so dynamic scheduling balances the triangle. */
#pragma omp for schedule(dynamic, 1)
    for (int item = 0; item < items * nHeads; item++) {
      int t0 = (items - 1 - item / nHeads) * rowsPerItem, h = item % nHeads, g = h / group;
      int rows = T - t0 < rowsPerItem ? T - t0 : rowsPerItem, quads = (rows + QR - 1) / QR;
      int first[QB * QR], last[QB * QR];
      float m[QB * QR];
      double l[QB * QR];
      int lo = INT32_MAX, hi = 0;
      for (int r = 0; r < quads * QR; r++) {
        int t = t0 + (r < rows ? r : rows - 1);
        first[r] = firstKey ? firstKey[t] : 0;
        last[r] = r < rows ? qOffset + t : -1; /* a padding row attends to nothing */
        m[r] = -INFINITY, l[r] = 0;
        lo = first[r] < lo ? first[r] : lo;
        hi = last[r] > hi ? last[r] : hi;
        const float *qr = q + (int64_t)t * qStride + h * hd;
        for (int d = 0; d < hd; d++) qs[r * hd + d] = qr[d] * scale;
      }
      lo -= lo % KP; /* start on a key panel; keys before first[r] are masked */
      memset(acc, 0, sizeof(float) * rowsPerItem * hd);
      for (int j0 = lo; j0 <= hi; j0 += bk) {
        int n = hi + 1 - j0 < bk ? hi + 1 - j0 : bk;
        const float *kb = kp + g * keyHead + (int64_t)j0 * hd; /* j0 is a multiple of 16 */
        const float *vb = vc + g * valueHead + (int64_t)j0 * hd;
        for (int qd = 0; qd < quads; qd++) {
          int r0 = qd * QR;
          /* Keys past the quad's last row are all masked: shorten the block for early quads. */
          int e = -1;
          for (int r = r0; r < r0 + QR; r++) e = last[r] > e ? last[r] : e;
          int nq = e + 1 - j0 < n ? e + 1 - j0 : n;
          if (nq <= 0) continue;
          float *sq = s + (int64_t)r0 * bk, *aq = acc + (int64_t)r0 * hd;
          scores_tile(sq, bk, qs + (int64_t)r0 * hd, hd, kb, nq);
          softmax_block(sq, bk, nq, j0, first + r0, last + r0, m + r0, l + r0, aq, hd);
          pv_tile(aq, sq, bk, vb, hd, nq);
        }
      }
      for (int r = 0; r < rows; r++) {
        float *o = out + (int64_t)(t0 + r) * qStride + h * hd;
        for (int d = 0; d < hd; d++) o[d] = (float)(acc[r * hd + d] / l[r]);
      }
    }
    free(s);
    free(acc);
    free(qs);
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
