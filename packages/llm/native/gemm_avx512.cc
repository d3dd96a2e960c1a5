// The AVX-512 micro-kernel: 12 x 32 (24 zmm accumulators, 2 for the B row, 1 broadcast = 27 of
// 32 registers), the register block of BLIS's Skylake-X SGEMM (there 32 x 12, column-major).
// Per k step: 2 loads, 12 broadcasts, 24 FMAs.
#include "gemm.h"

// The standard headers fastmath.h needs come before the target pragma, so that nothing they
// define is compiled for AVX-512 (an inline function of theirs could be shared with other units).
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#include <immintrin.h>

// fastmath.h after the standard headers, so that only its own static functions compile for AVX-512.
#include "fastmath.h"
#define EPILOGUE_NAME epilogueAvx512Impl
#include "gemm_epilogue.inc"
#undef EPILOGUE_NAME

#define UKR_NAME ukernelAvx512_12x32
#define UKR_MR 12
#define UKR_NV 2
#define UKR_VW 16
#define VEC __m512
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_load_ps(p)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_BCAST(p) _mm512_set1_ps(*(p))
#define V_FMA(x, y, z) _mm512_fmadd_ps(x, y, z)
#define V_ADD(x, y) _mm512_add_ps(x, y)
#include "gemm_ukernel.inc"

#pragma GCC pop_options

namespace llm {
// The AVX2 transposing pack serves here too: every AVX-512 CPU has AVX2, and packing is a
// small share of the time.
void packAAvx2_12(const float* a, long lda, long kc, long panels, float* dst);
void packATransposedAvx2_12(const float* a, long ld, long kc, long panels, float* dst);
void packBTransposedAvx2_32(const float* b, long ld, long kc, long panels, float* dst);
void packBTransposedBf16Avx2_32(const uint16_t* b, long ld, long kc, long panels, float* dst);
void packBAvx2_32(const float* b, long ld, long kc, long panels, float* dst);
void packBBf16Avx2_32(const uint16_t* b, long ld, long kc, long panels, float* dst);
// The epilogue in 16 lanes: GELU's exp and division on a 512-row product's 3,072 columns took 15%
// of the product in 8 (docs/native-kernels.md).
static void epilogueAvx512(const GemmEpilogue& e, float* c, long ldc, long rows, long cols) {
  epilogueAvx512Impl(e, c, ldc, rows, cols);
}

bool avx512Kernel(GemmConfig* out) {
  // KC = 256: the 32 KiB B micro-panel plus a 12 KiB A micro-panel fit a 48 KiB L1 (Zen 5);
  // MC = 516: 516 KiB of packed A in a 1 MiB L2, so a training step's 512-row products keep all
  // of A in one block and each B micro-panel serves every row (docs/native-kernels.md).
  *out = GemmConfig{12, 32, 516, 256, 4096, ukernelAvx512_12x32, packAAvx2_12, packATransposedAvx2_12, packBTransposedAvx2_32, "avx512 12x32", epilogueAvx512, packBTransposedBf16Avx2_32, packBAvx2_32, packBBf16Avx2_32};
#if defined(__x86_64__) && defined(__GNUC__)
  if (asmKernelWanted()) {
    out->kernel = ukernelAvx512Asm12x32;
    out->name = "avx512 12x32 asm";
  }
#endif
  return true;
}
}  // namespace llm
#else
namespace llm {
bool avx512Kernel(GemmConfig*) { return false; }
}  // namespace llm
#endif
