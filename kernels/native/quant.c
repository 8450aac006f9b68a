/*
 * Matmul over weights kept in their GGUF encoding (f16, bf16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K,
 * Q6_K; block layouts as model/dequantize.ts describes them). Included at the end of ropekit.c (one
 * translation unit: it reuses rk_matmul's micro-kernel and tile sizes) and built with it, natively and
 * to WebAssembly.
 *
 * Each work item decodes a group of weight rows once into rk_pack_weights' panel layout, then sweeps
 * every row of x through the same micro-kernel as rk_matmul, so the result is bit-identical to rk_matmul
 * on the f32 matrix made from the same decoded values. Decoding computes exactly what the `gguf`
 * package's dequantize computes in float32 (same operations, same order); contraction into FMAs is
 * off for it, since an FMA rounds once where numpy rounds twice.
 */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

enum { GT_F32 = 0, GT_F16 = 1, GT_Q4_0 = 2, GT_Q4_1 = 3, GT_Q5_0 = 6, GT_Q5_1 = 7, GT_Q8_0 = 8,
       GT_Q4_K = 12, GT_Q5_K = 13, GT_Q6_K = 14, GT_BF16 = 30 };

static inline float q_bits_to_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* IEEE half → float, exactly (subnormal halves are normal floats). */
static inline float q_half(const uint8_t *p) {
  uint32_t h = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp == 0) {
    float v = (float)frac * (1.0f / 16777216.0f); /* frac · 2^-24, exact */
    return sign ? -v : v;
  }
  if (exp == 31) return q_bits_to_float(sign | 0x7f800000u | (frac << 13));
  return q_bits_to_float(sign | ((exp + 112) << 23) | (frac << 13));
}

/* Elements and bytes per block of `type`; 0 elements for a type this file does not decode. */
static void q_block(int type, int *elements, int *bytes) {
  int e = 0, b = 0;
  switch (type) {
    case GT_F32: e = 1, b = 4; break;
    case GT_F16: case GT_BF16: e = 1, b = 2; break;
    case GT_Q4_0: e = 32, b = 18; break;
    case GT_Q4_1: e = 32, b = 20; break;
    case GT_Q5_0: e = 32, b = 22; break;
    case GT_Q5_1: e = 32, b = 24; break;
    case GT_Q8_0: e = 32, b = 34; break;
    case GT_Q4_K: e = 256, b = 144; break;
    case GT_Q5_K: e = 256, b = 176; break;
    case GT_Q6_K: e = 256, b = 210; break;
  }
  *elements = e, *bytes = b;
}

/* The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block's 12 scale bytes. */
static inline void q_scale_min_k4(const uint8_t *s, int j, int *sc, int *mn) {
  if (j < 4) {
    *sc = s[j] & 63, *mn = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

/* Decodes `nb` consecutive blocks of `type` from src into dst. */
static void q_decode(int type, const uint8_t *src, float *dst, int64_t nb) {
  switch (type) {
    case GT_F32:
      memcpy(dst, src, (size_t)nb * 4);
      return;
    case GT_F16:
      for (int64_t i = 0; i < nb; i++) dst[i] = q_half(src + 2 * i);
      return;
    case GT_BF16:
      for (int64_t i = 0; i < nb; i++) dst[i] = q_bits_to_float(((uint32_t)src[2 * i] | ((uint32_t)src[2 * i + 1] << 8)) << 16);
      return;
    case GT_Q8_0:
      for (int64_t b = 0; b < nb; b++, src += 34, dst += 32) {
        float d = q_half(src);
        for (int j = 0; j < 32; j++) dst[j] = (float)(int8_t)src[2 + j] * d;
      }
      return;
    case GT_Q4_0:
      for (int64_t b = 0; b < nb; b++, src += 18, dst += 32) {
        float d = q_half(src);
        for (int j = 0; j < 16; j++) {
          dst[j] = d * (float)((src[2 + j] & 15) - 8);
          dst[j + 16] = d * (float)((src[2 + j] >> 4) - 8);
        }
      }
      return;
    case GT_Q4_1:
      for (int64_t b = 0; b < nb; b++, src += 20, dst += 32) {
        float d = q_half(src), m = q_half(src + 2);
        for (int j = 0; j < 16; j++) {
          dst[j] = d * (float)(src[4 + j] & 15) + m;
          dst[j + 16] = d * (float)(src[4 + j] >> 4) + m;
        }
      }
      return;
    case GT_Q5_0:
    case GT_Q5_1: {
      int one = type == GT_Q5_1, size = one ? 24 : 22;
      for (int64_t b = 0; b < nb; b++, src += size, dst += 32) {
        float d = q_half(src), m = one ? q_half(src + 2) : 0.0f;
        const uint8_t *hq = src + (one ? 4 : 2), *qs = hq + 4;
        uint32_t qh = (uint32_t)hq[0] | ((uint32_t)hq[1] << 8) | ((uint32_t)hq[2] << 16) | ((uint32_t)hq[3] << 24);
        for (int j = 0; j < 16; j++) {
          int lo = (qs[j] & 15) | (((qh >> j) & 1) << 4), hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
          if (one) {
            dst[j] = d * (float)lo + m;
            dst[j + 16] = d * (float)hi + m;
          } else {
            dst[j] = d * (float)(lo - 16);
            dst[j + 16] = d * (float)(hi - 16);
          }
        }
      }
      return;
    }
    case GT_Q4_K:
    case GT_Q5_K: {
      int five = type == GT_Q5_K, size = five ? 176 : 144;
      for (int64_t b = 0; b < nb; b++, src += size, dst += 256) {
        float d = q_half(src), dmin = q_half(src + 2);
        const uint8_t *qh = src + 16, *qs = src + (five ? 48 : 16);
        for (int s = 0; s < 8; s++) {
          int sc, mn;
          q_scale_min_k4(src + 4, s, &sc, &mn);
          float ds = d * (float)sc, dm = dmin * (float)mn;
          const uint8_t *q = qs + 32 * (s >> 1);
          int shift = (s & 1) * 4;
          for (int l = 0; l < 32; l++) {
            int v = (q[l] >> shift) & 15;
            if (five) v |= ((qh[l] >> s) & 1) << 4;
            dst[32 * s + l] = ds * (float)v - dm;
          }
        }
      }
      return;
    }
    case GT_Q6_K:
      for (int64_t b = 0; b < nb; b++, src += 210, dst += 256) {
        float d = q_half(src + 208);
        for (int h = 0; h < 2; h++) {
          for (int i = 0; i < 4; i++) {
            const uint8_t *ql = src + 64 * h + 32 * (i & 1), *qh = src + 128 + 32 * h;
            int shift = i < 2 ? 0 : 4;
            for (int l = 0; l < 32; l++) {
              float ds = d * (float)(int8_t)src[192 + 8 * h + 2 * i + (l >> 4)];
              int v = ((ql[l] >> shift) & 15) | (((qh[l] >> (2 * i)) & 3) << 4);
              dst[128 * h + 32 * i + l] = ds * (float)(v - 32);
            }
          }
        }
      }
      return;
  }
}

/* Decodes n values of `type` (a whole number of blocks) from src into out. */
void rk_dequantize(float *out, const uint8_t *src, int type, int64_t n) {
  int e, b;
  q_block(type, &e, &b);
  if (e) q_decode(type, src, out, n / e);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options /* the matmul below keeps rk_matmul's contraction, so its sums are rk_matmul's */
#endif

/* Weight rows decoded per work item: 4 panels (64 rows), ≤ 64·K floats per thread. */
#define Q_PANELS_PER_ITEM 4

/*
 * out[t][n] = (accumulate ? out[t][n] : 0) + Σ_k x[t][k]·w[n][k] + (bias ? bias[n] : 0), with w [N][K]
 * encoded as `type` (each row a whole number of blocks). Work items are groups of 64 weight rows:
 * decoded once into panels, then every 72-row block of x (packed as rk_matmul packs it) runs through them.
 */
void rk_matmul_q(float *out, const float *x, const uint8_t *w, const float *bias, int T, int K, int N, int type,
                 int accumulate) {
  int e, bb;
  q_block(type, &e, &bb);
  if (!e || K % e) return;
  int64_t row_bytes = (int64_t)(K / e) * bb;
  int panels = (N + NR - 1) / NR, groups = (panels + Q_PANELS_PER_ITEM - 1) / Q_PANELS_PER_ITEM;
#pragma omp parallel
  {
    float *xp = malloc(sizeof(float) * MC * K);
    float *pp = malloc(sizeof(float) * Q_PANELS_PER_ITEM * NR * K);
    float *row = malloc(sizeof(float) * K);
#pragma omp for schedule(dynamic, 1)
    for (int g = 0; g < groups; g++) {
      int p_begin = g * Q_PANELS_PER_ITEM;
      int p_end = p_begin + Q_PANELS_PER_ITEM < panels ? p_begin + Q_PANELS_PER_ITEM : panels;
      for (int p = p_begin; p < p_end; p++) {
        float *dst = pp + (int64_t)(p - p_begin) * NR * K;
        for (int c = 0; c < NR; c++) {
          int n = p * NR + c;
          if (n < N) q_decode(type, w + (int64_t)n * row_bytes, row, K / e);
          for (int k = 0; k < K; k++) dst[k * NR + c] = n < N ? row[k] : 0.0f;
        }
      }
      for (int t_begin = 0; t_begin < T; t_begin += MC) {
        int t_end = t_begin + MC < T ? t_begin + MC : T;
        pack_rows(xp, x, t_begin, t_end, K);
        for (int p = p_begin; p < p_end; p++) {
          panel_rows(out, xp, pp + (int64_t)(p - p_begin) * NR * K, bias, t_begin, t_end, p * NR, N, K, accumulate);
        }
      }
    }
    free(row);
    free(pp);
    free(xp);
  }
}
