// The AVX-512 12 x 32 micro-kernel written in assembly. The same computation as the C++ kernel
// built from gemm_ukernel.inc (the same tile, the same order of FMAs, so the results are
// bit-identical), with the tile in zmm8-zmm31, B's row in zmm0-zmm1, A's broadcasts rotating
// through zmm2-zmm7, k unrolled by 4, A's stream prefetched ahead and C's rows late in the loop.
// x86-64 with GCC or Clang only (AT&T syntax); elsewhere the C++ kernel runs.
#include "gemm.h"

#include <algorithm>

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")

namespace llm {

#define FMA2(AO, R, C0, C1)                     \
  "vbroadcastss " #AO "(%[a]), %%" #R "\n\t"    \
  "vfmadd231ps %%zmm0, %%" #R ", %%" #C0 "\n\t" \
  "vfmadd231ps %%zmm1, %%" #R ", %%" #C1 "\n\t"
// One k step: B's 32 floats, then the 12 rows of A broadcast, 24 FMAs into the tile.
#define STEP(AO, BO)                                                                                     \
  "vmovaps " #BO "(%[b]), %%zmm0\n\t"                                                                    \
  "vmovaps " #BO "+64(%[b]), %%zmm1\n\t"                                                                 \
  FMA2(AO, zmm2, zmm8, zmm9) FMA2(AO + 4, zmm3, zmm10, zmm11) FMA2(AO + 8, zmm4, zmm12, zmm13)           \
  FMA2(AO + 12, zmm5, zmm14, zmm15) FMA2(AO + 16, zmm6, zmm16, zmm17) FMA2(AO + 20, zmm7, zmm18, zmm19)  \
  FMA2(AO + 24, zmm2, zmm20, zmm21) FMA2(AO + 28, zmm3, zmm22, zmm23) FMA2(AO + 32, zmm4, zmm24, zmm25) \
  FMA2(AO + 36, zmm5, zmm26, zmm27) FMA2(AO + 40, zmm6, zmm28, zmm29) FMA2(AO + 44, zmm7, zmm30, zmm31)
// Four k steps, A's stream prefetched ahead.
#define STEP4                                                                                       \
  "prefetcht0 512(%[a])\n\t" STEP(0, 0) STEP(48, 128) "prefetcht0 576(%[a])\n\t" STEP(96, 256) \
  "prefetcht0 640(%[a])\n\t" STEP(144, 384) "add $192, %[a]\n\t"                            \
  "add $512, %[b]\n\t"
#define ADD_C(R0, R1) "vaddps (%[c]), %%" #R0 ", %%" #R0 "\n\tvaddps 64(%[c]), %%" #R1 ", %%" #R1 "\n\t"
#define NO_ADD(R0, R1) ""
// One row of the tile to C (added to what is there with ADD_C), then on to the next row.
#define ROW(R0, R1, ADD)            \
  ADD(R0, R1)                       \
  "vmovups %%" #R0 ", (%[c])\n\t"   \
  "vmovups %%" #R1 ", 64(%[c])\n\t" \
  "add %[ldc], %[c]\n\t"
#define ROWS(ADD)                                                                                             \
  ROW(zmm8, zmm9, ADD) ROW(zmm10, zmm11, ADD) ROW(zmm12, zmm13, ADD) ROW(zmm14, zmm15, ADD) ROW(zmm16, zmm17, ADD) \
  ROW(zmm18, zmm19, ADD) ROW(zmm20, zmm21, ADD) ROW(zmm22, zmm23, ADD) ROW(zmm24, zmm25, ADD)                     \
  ROW(zmm26, zmm27, ADD) ROW(zmm28, zmm29, ADD) ROW(zmm30, zmm31, ADD)
#define ZERO(R) "vpxord %%" #R ", %%" #R ", %%" #R "\n\t"

constexpr long C_ROWS = 12, C_LEAD = 12;

void ukernelAvx512Asm12x32(long kc, const float* a, const float* b, float* c, long ldc, int accumulate) {
  // C is written once at the end. Its rows are fetched one per k4 iteration from 24 to 12
  // iterations before the end of the loop, with write intent, so that they are in L1 for the
  // stores; issued all at once at the start (24 to 36 lines) they filled the miss queue ahead of
  // A's stream and cost 5-9% on the products with large C (docs/native-kernels.md). Rows the loop
  // is too short to reach are fetched before it. A row of the tile spans three lines when ldc is
  // not a multiple of 16 floats (the 50,257-wide LM head).
  const long k4 = kc / 4;
  long rest = kc % 4;
  long withC = std::min(k4, C_ROWS);
  long after = std::min(k4 - withC, C_LEAD);
  long before = k4 - withC - after;
  for (long i = withC; i < C_ROWS; i++) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + 16, 1, 3);
    __builtin_prefetch(c + i * ldc + 31, 1, 3);
  }
  const float* cRow = c;
  const long ldcBytes = ldc * static_cast<long>(sizeof(float));
  const long add = accumulate;
  asm volatile(
      ZERO(zmm8) ZERO(zmm9) ZERO(zmm10) ZERO(zmm11) ZERO(zmm12) ZERO(zmm13) ZERO(zmm14) ZERO(zmm15) ZERO(zmm16)
      ZERO(zmm17) ZERO(zmm18) ZERO(zmm19) ZERO(zmm20) ZERO(zmm21) ZERO(zmm22) ZERO(zmm23) ZERO(zmm24)
      ZERO(zmm25) ZERO(zmm26) ZERO(zmm27) ZERO(zmm28) ZERO(zmm29) ZERO(zmm30) ZERO(zmm31)
      "test %[before], %[before]\n\t"
      "jz 7f\n\t"
      ".p2align 5\n"
      "1:\n\t"  // k in steps of 4
      STEP4
      "dec %[before]\n\t"
      "jnz 1b\n"
      "7:\n\t"  // the same, fetching one row of C per iteration
      "test %[withC], %[withC]\n\t"
      "jz 8f\n\t"
      ".p2align 5\n"
      "9:\n\t"
      "prefetchw (%[cRow])\n\t"
      "prefetchw 64(%[cRow])\n\t"
      "prefetchw 124(%[cRow])\n\t"
      "add %[ldc], %[cRow]\n\t"
      STEP4
      "dec %[withC]\n\t"
      "jnz 9b\n"
      "8:\n\t"  // the last C_LEAD iterations
      "test %[after], %[after]\n\t"
      "jz 2f\n\t"
      ".p2align 5\n"
      "10:\n\t"
      STEP4
      "dec %[after]\n\t"
      "jnz 10b\n"
      "2:\n\t"  // the last kc % 4 steps
      "test %[rest], %[rest]\n\t"
      "jz 3f\n"
      "4:\n\t" STEP(0, 0)
      "add $48, %[a]\n\t"
      "add $128, %[b]\n\t"
      "dec %[rest]\n\t"
      "jnz 4b\n"
      "3:\n\t"
      "test %[add], %[add]\n\t"
      "jz 5f\n\t"
      ROWS(ADD_C)
      "jmp 6f\n"
      "5:\n\t"
      ROWS(NO_ADD)
      "6:\n\t"
      "vzeroupper\n\t"
      : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [before] "+r"(before), [withC] "+r"(withC), [after] "+r"(after),
        [rest] "+r"(rest), [cRow] "+r"(cRow)
      : [ldc] "r"(ldcBytes), [add] "r"(add)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
        "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

#undef FMA2
#undef STEP
#undef STEP4
#undef ADD_C
#undef NO_ADD
#undef ROW
#undef ROWS
#undef ZERO

}  // namespace llm

#pragma GCC pop_options
#endif
