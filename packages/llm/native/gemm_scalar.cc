// The portable micro-kernel for CPUs without AVX2 (and non-x86): plain C++ that the compiler
// vectorizes with whatever the baseline offers (SSE2 on x86-64, NEON on arm64).
#include "gemm.h"

#include "fastmath.h"

#define EPILOGUE_NAME epilogueScalar
#include "gemm_epilogue.inc"
#undef EPILOGUE_NAME

namespace llm {

static constexpr int MR = 4;
static constexpr int NR = 8;

static void ukernelScalar(long kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
                          long ldc, int accumulate) {
  float acc[MR][NR] = {};
  for (long p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const float av = a[i];
      for (int j = 0; j < NR; j++) acc[i][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

void scalarKernel(GemmConfig* out) { *out = GemmConfig{MR, NR, 128, 256, 4096, ukernelScalar, nullptr, nullptr, nullptr, "scalar 4x8", epilogueScalar}; }

}  // namespace llm
