// The bf16 micro-kernel for CPUs with AVX-512 BF16 (Cooper Lake, Sapphire Rapids, Zen 4 and later):
// 12 x 32 like the f32 AVX-512 kernel (24 zmm accumulators). One vdpbf16ps multiplies a k pair of
// 16 columns by a broadcast pair of one row of A and adds both products to the f32 accumulator, so
// a k pair costs what one k step of the f32 kernel does, on panels of half the bytes.
//
// Chosen only where the CPU reports avx512bf16 (first run here on a Zen 5, 2026-12-05); its
// numerics are those of the TypeScript reference up to the order of the f32 sums (vdpbf16ps adds a
// pair's two exact products in one step, and treats denormal inputs and outputs as zero). Its
// packs round 16 lanes at a time (packPairsAvx512), bit for bit as the portable packs do.
#include "gemm_bf16.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace llm {

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void ukernelBf16Avx512_12x32(
    long kc, const void* av, const uint16_t* b, float* c, long ldc, int accumulate) {
  const uint16_t* a = static_cast<const uint16_t*>(av);
  __m512 acc[12][2];
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const long pairs = (kc + 1) / 2;
  for (long p2 = 0; p2 < pairs; p2++) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(b);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(b + 32);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
      int32_t pair;
      std::memcpy(&pair, a + 2 * i, sizeof(pair));
      const __m512bh x = (__m512bh)_mm512_set1_epi32(pair);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], x, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], x, b1);
    }
    a += 24;
    b += 64;
  }
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) {
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(c + i * ldc));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(c + i * ldc + 16));
    }
    _mm512_storeu_ps(c + i * ldc, acc[i][0]);
    _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
  }
}

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// roundBf16 (bf16.h) on 16 lanes: each lane's bf16 in its low 16 bits, the high bits zero. The
// integer form rounds denormals as the scalar code does, where vcvtneps2bf16 would flush them.
BF16_TARGET static inline __m512i roundLanes(__m512 x) {
  const __m512i b = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
  const __mmask16 nan =
      _mm512_cmpgt_epu32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(b, 16), _mm512_set1_epi32(0x40));
}

// r[i] (16 dwords each) becomes column i of the 16 x 16 matrix of dwords it held as rows.
BF16_TARGET static inline void transpose16x16(__m512i r[16]) {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + c] holds, in each 128-bit lane L, column 4L + c of rows 4g .. 4g + 3.
  for (int g = 0; g < 4; g++) {
    u[4 * g] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  for (int c = 0; c < 4; c++) {
    const __m512i b0 = _mm512_shuffle_i32x4(u[c], u[4 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i b1 = _mm512_shuffle_i32x4(u[c], u[4 + c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512i b2 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i b3 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(3, 1, 3, 1));
    r[c] = _mm512_shuffle_i32x4(b0, b2, _MM_SHUFFLE(2, 0, 2, 0));
    r[4 + c] = _mm512_shuffle_i32x4(b1, b3, _MM_SHUFFLE(2, 0, 2, 0));
    r[8 + c] = _mm512_shuffle_i32x4(b0, b2, _MM_SHUFFLE(3, 1, 3, 1));
    r[12 + c] = _mm512_shuffle_i32x4(b1, b3, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

// Bf16GemmConfig::packPairs with the rounding 16 lanes at a time, for both layouts: columns
// contiguous (each k pair is two rows of 16 columns, rounded and merged into 16 words, stored in
// place) and k contiguous (below).
BF16_TARGET static void packPairsAvx512(int w, const float* x, long js, long ps, long n, long kc, uint16_t* dst) {
  const long kc2 = (kc + 1) / 2;
  uint32_t* out = reinterpret_cast<uint32_t*>(dst);
  for (long j0 = 0; j0 < n; j0 += w, out += w * kc2) {
    const int cols = static_cast<int>(std::min<long>(w, n - j0));
    if (js == 1) {
      for (long p2 = 0; p2 < kc2; p2++) {
        const float* r0 = x + 2 * p2 * ps + j0;
        const bool odd = 2 * p2 + 1 < kc;
        for (int v = 0; v < w; v += 16) {
          const int lanes = std::max(0, std::min(16, cols - v));
          const __mmask16 m = static_cast<__mmask16>((1u << lanes) - 1);
          const __m512i lo = roundLanes(_mm512_maskz_loadu_ps(m, r0 + v));
          const __m512i hi = odd ? roundLanes(_mm512_maskz_loadu_ps(m, r0 + ps + v)) : _mm512_setzero_si512();
          const __m512i words = _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
          _mm512_mask_storeu_epi32(out + p2 * w + v, static_cast<__mmask16>((1u << std::min(16, w - v)) - 1), words);
        }
      }
    } else {
      // k contiguous (ps is 1). Up to 16 columns at a time: each column's run of 32 floats
      // becomes 16 pair words (the low 16 bits of each rounded lane, in order), and a 16 x 16
      // transpose turns the 16 columns' words into 16 rows of the panel, stored in place.
      alignas(64) static const uint16_t evens[32] = {0,  2,  4,  6,  8,  10, 12, 14, 16, 18, 20,
                                                     22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42,
                                                     44, 46, 48, 50, 52, 54, 56, 58, 60, 62};
      const __m512i idx = _mm512_load_si512(evens);
      for (int g0 = 0; g0 < w; g0 += 16) {
        const int width = std::min(16, w - g0);
        const int live = std::max(0, std::min(width, cols - g0));
        const __mmask16 store = static_cast<__mmask16>((1u << width) - 1);
        for (long p = 0; p < kc; p += 32) {
          const long left = kc - p;
          const __mmask16 m0 = static_cast<__mmask16>(left >= 16 ? 0xffff : (1u << left) - 1);
          const __mmask16 m1 = static_cast<__mmask16>(left >= 32 ? 0xffff : left > 16 ? (1u << (left - 16)) - 1 : 0);
          __m512i r[16];
          for (int i = 0; i < 16; i++) {
            if (i < live) {
              const float* src = x + (j0 + g0 + i) * js + p;
              const __m512i lo = roundLanes(_mm512_maskz_loadu_ps(m0, src));
              const __m512i hi = roundLanes(_mm512_maskz_loadu_ps(m1, src + 16));
              r[i] = _mm512_permutex2var_epi16(lo, idx, hi);
            } else {
              r[i] = _mm512_setzero_si512();
            }
          }
          transpose16x16(r);
          const long rows = std::min<long>(16, kc2 - p / 2);
          for (long t = 0; t < rows; t++) _mm512_mask_storeu_epi32(out + (p / 2 + t) * w + g0, store, r[t]);
        }
      }
    }
  }
}

bool bf16Avx512Kernel(Bf16GemmConfig* out) {
  *out = Bf16GemmConfig{12, 32, 192, 256, 4096, true, ukernelBf16Avx512_12x32, "avx512bf16 12x32 vdpbf16ps",
                        packPairsAvx512};
  return true;
}

}  // namespace llm
#else
namespace llm {
bool bf16Avx512Kernel(Bf16GemmConfig*) { return false; }
}  // namespace llm
#endif
