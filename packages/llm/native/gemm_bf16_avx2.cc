// The bf16 micro-kernel for AVX2+FMA, which has no bf16 arithmetic: 6 x 16 like the f32 kernel
// (12 ymm accumulators). A k pair of B (16 columns x 2 bf16 = 64 bytes) is widened in registers,
// the even k by a 16-bit shift and the odd k by masking the low half, and multiplied in f32; A comes
// packed as floats already rounded to bf16. k runs in order, one FMA per k, as in the f32 kernel.
#include "gemm_bf16.h"

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>

namespace llm {

static void ukernelBf16Avx2_6x16(long kc, const void* av, const uint16_t* b, float* c, long ldc, int accumulate) {
  const float* a = static_cast<const float*>(av);
  __m256 acc[6][2];
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  const long pairs = kc / 2;
  for (long p2 = 0; p2 < pairs; p2++) {
    const __m256i r0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i r1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 16));
    __m256 b0 = _mm256_castsi256_ps(_mm256_slli_epi32(r0, 16));
    __m256 b1 = _mm256_castsi256_ps(_mm256_slli_epi32(r1, 16));
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
      const __m256 x = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(x, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(x, b1, acc[i][1]);
    }
    b0 = _mm256_castsi256_ps(_mm256_and_si256(r0, high));
    b1 = _mm256_castsi256_ps(_mm256_and_si256(r1, high));
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
      const __m256 x = _mm256_broadcast_ss(a + 6 + i);
      acc[i][0] = _mm256_fmadd_ps(x, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(x, b1, acc[i][1]);
    }
    a += 12;
    b += 32;
  }
  if (kc & 1) {
    const __m256 b0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(b)), 16));
    const __m256 b1 =
        _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(b + 16)), 16));
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
      const __m256 x = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(x, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(x, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(c + i * ldc));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(c + i * ldc + 8));
    }
    _mm256_storeu_ps(c + i * ldc, acc[i][0]);
    _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
  }
}

bool bf16Avx2Kernel(Bf16GemmConfig* out) {
  *out = Bf16GemmConfig{6, 16, 96, 256, 1024, false, ukernelBf16Avx2_6x16, "avx2 6x16 (bf16 widened to f32)"};
  return true;
}

}  // namespace llm

#pragma GCC pop_options
#else
namespace llm {
bool bf16Avx2Kernel(Bf16GemmConfig*) { return false; }
}  // namespace llm
#endif
