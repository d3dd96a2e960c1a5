// The AVX2+FMA micro-kernel: 6 x 16 (12 ymm accumulators, 2 for the B row, 1 broadcast = 15 of
// 16 registers), the shape BLIS uses on Haswell and Zen. Per k step: 2 loads, 6 broadcasts,
// 12 FMAs, enough independent chains to cover 2 FMA pipes x 4-5 cycles of latency.
#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#define UKR_NAME ukernelAvx2_6x16
#define UKR_MR 6
#define UKR_NV 2
#define UKR_VW 8
#define VEC __m256
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_load_ps(p)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_FMA(x, y, z) _mm256_fmadd_ps(x, y, z)
#define V_ADD(x, y) _mm256_add_ps(x, y)
#include "gemm_ukernel.inc"

#pragma GCC pop_options

namespace llm {
bool avx2Kernel(GemmConfig* out) {
  // MC x KC = 144 x 256 floats (144 KiB) of packed A stays in a 512 KiB L2 beside the B panel's
  // stream; KC = 256 keeps the 16 KiB B micro-panel in a 32 KiB L1. Tuned on Zen 3 (docs/native-kernels.md).
  *out = GemmConfig{6, 16, 144, 256, 4080, ukernelAvx2_6x16, "avx2 6x16"};
  return true;
}
}  // namespace llm
#else
namespace llm {
bool avx2Kernel(GemmConfig*) { return false; }
}  // namespace llm
#endif
