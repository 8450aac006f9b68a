/*
 * ropekit native CPU kernels, loaded from TypeScript with Deno.dlopen (kernels/native/lib.ts).
 *
 * Same conventions as kernels/cpu (the references these must match): f32, row-major, weights
 * [out][in] so y = W·x. Build: `deno task build` (cc -O3 -march=native -fopenmp, no -ffast-math:
 * NaNs and infinities must keep their meaning). Loops are written so gcc/clang vectorise them
 * (GCC vector extensions in the matmul micro-kernel, `omp simd` for reductions, which plain -O3
 * will not reorder without fast-math). OpenMP spreads rows/heads over the cores.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Bumped whenever an exported signature changes; lib.ts refuses a library with another value. */
int rk_abi_version(void) { return 1; }

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
#define MR 6  /* rows per micro-tile: 6×2 accumulators + 2 weight vectors + 1 broadcast ≤ 16 registers */
#define MC 72 /* rows per work item (a multiple of MR): packed, they stay in L2 (≤ 400 KB at K = 1376) */
#define PANELS_PER_ITEM 8

typedef float v8 __attribute__((vector_size(32)));
/* Same vector, but loads/stores through it may be unaligned (Float32Arrays are only 8-aligned). */
typedef float v8u __attribute__((vector_size(32), aligned(4)));

/* Floats needed by rk_pack_weights for an [N][K] matrix. */
int64_t rk_packed_floats(int N, int K) { return (int64_t)((N + NR - 1) / NR) * NR * K; }

/*
 * Rearranges w [N][K] into panels of NR output columns: panel p holds, for k = 0..K−1, the NR
 * weights w[p·NR + c][k] contiguously, so the micro-kernel reads one 64-byte line per k. Columns past
 * N are zero. Done once per weight matrix (the backend caches it).
 */
void rk_pack_weights(float *packed, const float *w, int N, int K) {
  int panels = (N + NR - 1) / NR;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < panels; p++) {
    float *dst = packed + (int64_t)p * NR * K;
    for (int k = 0; k < K; k++) {
      for (int c = 0; c < NR; c++) {
        int n = p * NR + c;
        dst[k * NR + c] = n < N ? w[(int64_t)n * K + k] : 0.0f;
      }
    }
  }
}

/*
 * tile[MR][NR] = xp · panel, where xp is MR rows of x packed [K][MR] (so the six values broadcast
 * per k are adjacent: one cache line feeds 2–3 k steps, and rows a power-of-two stride apart no longer
 * fight over the same L1 sets). Twelve independent FMA chains hide the FMA latency.
 */
static void micro_kernel(float tile[MR][NR], const float *xp, const float *panel, int K) {
  v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
  v8 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
  for (int k = 0; k < K; k++) {
    v8 w0 = *(const v8u *)(panel + k * NR), w1 = *(const v8u *)(panel + k * NR + 8);
    const float *xk = xp + k * MR;
    c00 += w0 * xk[0], c01 += w1 * xk[0];
    c10 += w0 * xk[1], c11 += w1 * xk[1];
    c20 += w0 * xk[2], c21 += w1 * xk[2];
    c30 += w0 * xk[3], c31 += w1 * xk[3];
    c40 += w0 * xk[4], c41 += w1 * xk[4];
    c50 += w0 * xk[5], c51 += w1 * xk[5];
  }
  *(v8u *)&tile[0][0] = c00, *(v8u *)&tile[0][8] = c01;
  *(v8u *)&tile[1][0] = c10, *(v8u *)&tile[1][8] = c11;
  *(v8u *)&tile[2][0] = c20, *(v8u *)&tile[2][8] = c21;
  *(v8u *)&tile[3][0] = c30, *(v8u *)&tile[3][8] = c31;
  *(v8u *)&tile[4][0] = c40, *(v8u *)&tile[4][8] = c41;
  *(v8u *)&tile[5][0] = c50, *(v8u *)&tile[5][8] = c51;
}

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
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (int i = 0; i < V; i++) max = row[i] > max ? row[i] : max;
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
 * Copies rows k[0..T) ([T][nKv·hd]) to positions start..start+T−1 of a transposed cache kt
 * [nKv][hd][capacity]. Transposed, the keys of one channel are contiguous, so q·k for a block of
 * keys is a vector loop over keys whatever headDim is (8 for stories260K: too short to vectorise).
 */
void rk_store_transposed(float *kt, const float *k, int T, int start, int nKv, int hd, int capacity) {
  for (int t = 0; t < T; t++) {
    const float *row = k + (int64_t)t * nKv * hd;
    for (int c = 0; c < nKv * hd; c++) kt[(int64_t)c * capacity + start + t] = row[c];
  }
}

#define QR 4 /* query rows per tile: each key/value loaded feeds 4 rows */

/*
 * Causal GQA attention with online softmax, over keys/values stored transposed (rk_store_transposed).
 * Query row t (q/out [T][nHeads·hd]) is at position qOffset + t and attends to keys
 * first[t]..qOffset+t, where first[t] = firstKey ? firstKey[t] : 0 (packed documents):
 *   out[t][h] = Σ_s softmax_s(scale · q[t][h]·k[s][g]) v[s][g],  g = h / (nHeads/nKv).
 * Tiles of 4 query rows of one head walk the keys in blocks; per block the running max m, sum l and
 * accumulator are rescaled by e^(m_old − m_new) (flash attention). Scratch is O(block), never T×T.
 */
void rk_attention(float *out, const float *q, const float *kt, const float *vt, int T, int qOffset,
                  int capacity, int nHeads, int nKv, int hd, float scale, const int32_t *firstKey) {
  int group = nHeads / nKv, qStride = nHeads * hd;
  /* Keys per block: long enough that per-block work (mask, rescale) is amortised; measured best. */
  int bk = 8192 / hd;
  bk = bk < 64 ? 64 : bk > 512 ? 512 : bk;
  int tiles = (T + QR - 1) / QR;
  /* Work items: (head, tile), the late (long) tiles first so dynamic scheduling balances the triangle. */
#pragma omp parallel
  {
    float *s = malloc(sizeof(float) * QR * bk);
    double *acc = malloc(sizeof(double) * QR * hd); /* across blocks in double, as the ref */
    float *qs = malloc(sizeof(float) * QR * hd);
#pragma omp for schedule(dynamic, 1)
    for (int item = 0; item < tiles * nHeads; item++) {
      int tile = tiles - 1 - item / nHeads, h = item % nHeads, g = h / group;
      int t0 = tile * QR, rows = T - t0 < QR ? T - t0 : QR;
      const float *ktg = kt + (int64_t)g * hd * capacity, *vtg = vt + (int64_t)g * hd * capacity;
      int first[QR], last[QR];
      float m[QR];
      double l[QR];
      int lo = INT32_MAX, hi = 0;
      for (int r = 0; r < QR; r++) {
        int t = t0 + (r < rows ? r : rows - 1);
        first[r] = firstKey ? firstKey[t] : 0;
        last[r] = r < rows ? qOffset + t : -1; /* a padding row attends to nothing */
        m[r] = -INFINITY, l[r] = 0;
        lo = first[r] < lo ? first[r] : lo;
        hi = last[r] > hi ? last[r] : hi;
      }
      memset(acc, 0, sizeof(double) * QR * hd);
      for (int r = 0; r < QR; r++) {
        const float *qr = q + (int64_t)(t0 + (r < rows ? r : rows - 1)) * qStride + h * hd;
        for (int d = 0; d < hd; d++) qs[r * hd + d] = qr[d] * scale;
      }
      for (int j0 = lo; j0 <= hi; j0 += bk) {
        int n = hi + 1 - j0 < bk ? hi + 1 - j0 : bk;
        /*
         * Scores: s[r][j] = q_r·k_{j0+j} (q pre-scaled), vectorised over j. Four channels per pass
         * over s, so s is loaded and stored hd/4 times instead of hd times.
         */
        float *s0 = s, *s1 = s + bk, *s2 = s + 2 * bk, *s3 = s + 3 * bk;
        memset(s, 0, sizeof(float) * QR * bk);
        for (int d = 0; d < hd; d += 4) {
          int dd = hd - d < 4 ? hd - d : 4;
          float qd[QR][4] = {{0}};
          const float *kd[4];
          for (int c = 0; c < 4; c++) {
            kd[c] = ktg + (int64_t)(d + (c < dd ? c : 0)) * capacity + j0;
            for (int r = 0; r < QR; r++) qd[r][c] = c < dd ? qs[r * hd + d + c] : 0.0f;
          }
#pragma omp simd
          for (int j = 0; j < n; j++) {
            float x0 = kd[0][j], x1 = kd[1][j], x2 = kd[2][j], x3 = kd[3][j];
            s0[j] += qd[0][0] * x0 + qd[0][1] * x1 + qd[0][2] * x2 + qd[0][3] * x3;
            s1[j] += qd[1][0] * x0 + qd[1][1] * x1 + qd[1][2] * x2 + qd[1][3] * x3;
            s2[j] += qd[2][0] * x0 + qd[2][1] * x1 + qd[2][2] * x2 + qd[2][3] * x3;
            s3[j] += qd[3][0] * x0 + qd[3][1] * x1 + qd[3][2] * x2 + qd[3][3] * x3;
          }
        }
        /* Mask, rescale the running state, exponentiate. */
        for (int r = 0; r < QR; r++) {
          float *sr = s + r * bk;
          int f = first[r] - j0, e = last[r] - j0;
          float bmax = -INFINITY;
#pragma omp simd reduction(max : bmax)
          for (int j = 0; j < n; j++) {
            float v = (j < f || j > e) ? -INFINITY : sr[j];
            sr[j] = v;
            bmax = v > bmax ? v : bmax;
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
        /* acc[r][d] += Σ_j p[r][j] · v[j0+j][d]: two channels × four rows per pass over p. */
        for (int d = 0; d < hd; d += 2) {
          const float *v0 = vtg + (int64_t)d * capacity + j0;
          const float *v1 = d + 1 < hd ? v0 + capacity : v0; /* odd hd: the duplicate is dropped */
          float a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, b0, b1, b2, b3)
          for (int j = 0; j < n; j++) {
            float x = v0[j], y = v1[j];
            a0 += s0[j] * x, a1 += s1[j] * x, a2 += s2[j] * x, a3 += s3[j] * x;
            b0 += s0[j] * y, b1 += s1[j] * y, b2 += s2[j] * y, b3 += s3[j] * y;
          }
          acc[d] += a0, acc[hd + d] += a1, acc[2 * hd + d] += a2, acc[3 * hd + d] += a3;
          if (d + 1 < hd) {
            acc[d + 1] += b0, acc[hd + d + 1] += b1, acc[2 * hd + d + 1] += b2, acc[3 * hd + d + 1] += b3;
          }
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
