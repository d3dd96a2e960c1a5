// The bf16 micro-kernel for CPUs with AVX-512 BF16 (Cooper Lake, Sapphire Rapids, Zen 4 and later):
// 12 x 32 like the f32 AVX-512 kernel (24 zmm accumulators). One vdpbf16ps multiplies a k pair of
// 16 columns by a broadcast pair of one row of A and adds both products to the f32 accumulator, so
// a k pair costs what one k step of the f32 kernel does, on panels of half the bytes.
//
// Not run on the machines of this project so far (they have AVX2, or AVX-512 without BF16): it is
// chosen only where the CPU reports avx512bf16, and its numerics are those of the TypeScript
// reference up to the order of the f32 sums (vdpbf16ps adds a pair's two exact products in one
// step, and treats denormal inputs and outputs as zero).
#include "gemm_bf16.h"

#if defined(__x86_64__)
#include <immintrin.h>

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

bool bf16Avx512Kernel(Bf16GemmConfig* out) {
  *out = Bf16GemmConfig{12, 32, 192, 256, 4096, true, ukernelBf16Avx512_12x32, "avx512bf16 12x32 vdpbf16ps"};
  return true;
}

}  // namespace llm
#else
namespace llm {
bool bf16Avx512Kernel(Bf16GemmConfig*) { return false; }
}  // namespace llm
#endif
