// The AVX2+FMA 6 x 16 micro-kernel written in assembly. It is the same computation as the C++
// kernel built from gemm_ukernel.inc (same registers' worth of tile, same order of FMAs, so the
// results are bit-identical), but GCC's code for that loop spends extra address arithmetic per k
// step; this one holds the tile in ymm4-ymm15, B's row in ymm0-ymm1, A's broadcasts alternating in
// ymm2-ymm3, and unrolls k by 8. Measured call by call on Zen 3 (one process, the two kernels
// alternating): 2-4.5% faster on every shape of `bench:gemm` (docs/native-kernels.md).
// x86-64 with GCC or Clang only (AT&T syntax, 16 ymm registers); elsewhere the C++ kernel runs.
#include "gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace llm {

// One k step: B's 16 floats, then the 6 rows of A broadcast, 12 FMAs into the tile.
#define STEP(AO, BO)                          \
  "vmovaps " #BO "(%[b]), %%ymm0\n\t"         \
  "vmovaps " #BO "+32(%[b]), %%ymm1\n\t"      \
  "vbroadcastss " #AO "(%[a]), %%ymm2\n\t"    \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm4\n\t"    \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm5\n\t"    \
  "vbroadcastss " #AO "+4(%[a]), %%ymm3\n\t"  \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm6\n\t"    \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm7\n\t"    \
  "vbroadcastss " #AO "+8(%[a]), %%ymm2\n\t"  \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm8\n\t"    \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm9\n\t"    \
  "vbroadcastss " #AO "+12(%[a]), %%ymm3\n\t" \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm10\n\t"   \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm11\n\t"   \
  "vbroadcastss " #AO "+16(%[a]), %%ymm2\n\t" \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm12\n\t"   \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm13\n\t"   \
  "vbroadcastss " #AO "+20(%[a]), %%ymm3\n\t" \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm14\n\t"   \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm15\n\t"
#define ADD_C(R0, R1) "vaddps (%[c]), %%" #R0 ", %%" #R0 "\n\tvaddps 32(%[c]), %%" #R1 ", %%" #R1 "\n\t"
#define NO_ADD(R0, R1) ""
// One row of the tile to C (added to what is there with ADD_C), then on to the next row.
#define ROW(R0, R1, ADD)            \
  ADD(R0, R1)                       \
  "vmovups %%" #R0 ", (%[c])\n\t"   \
  "vmovups %%" #R1 ", 32(%[c])\n\t" \
  "add %[ldc], %[c]\n\t"

void ukernelAvx2Asm6x16(long kc, const float* a, const float* b, float* c, long ldc, int accumulate) {
  // C is written once at the end: touch its lines now so the stores do not stall. A row of the
  // tile spans two lines when ldc is not a multiple of 16 floats (the 50,257-wide LM head).
  for (int i = 0; i < 6; i++) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + 15, 1, 3);
  }
  long k8 = kc / 8, rest = kc % 8;
  const long ldcBytes = ldc * static_cast<long>(sizeof(float));
  const long add = accumulate;
  asm volatile(
      "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
      "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
      "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
      "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"
      "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"
      "vxorps %%ymm14, %%ymm14, %%ymm14\n\t"
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"
      "test %[k8], %[k8]\n\t"
      "jz 2f\n\t"
      ".p2align 5\n"
      "1:\n\t"  // k in steps of 8
      STEP(0, 0) STEP(24, 64) STEP(48, 128) STEP(72, 192) STEP(96, 256) STEP(120, 320) STEP(144, 384)
          STEP(168, 448)
      "add $192, %[a]\n\t"
      "add $512, %[b]\n\t"
      "dec %[k8]\n\t"
      "jnz 1b\n"
      "2:\n\t"  // the last kc % 8 steps
      "test %[rest], %[rest]\n\t"
      "jz 3f\n"
      "4:\n\t" STEP(0, 0)
      "add $24, %[a]\n\t"
      "add $64, %[b]\n\t"
      "dec %[rest]\n\t"
      "jnz 4b\n"
      "3:\n\t"
      "test %[add], %[add]\n\t"
      "jz 5f\n\t"
      ROW(ymm4, ymm5, ADD_C) ROW(ymm6, ymm7, ADD_C) ROW(ymm8, ymm9, ADD_C) ROW(ymm10, ymm11, ADD_C)
          ROW(ymm12, ymm13, ADD_C) ROW(ymm14, ymm15, ADD_C)
      "jmp 6f\n"
      "5:\n\t"
      ROW(ymm4, ymm5, NO_ADD) ROW(ymm6, ymm7, NO_ADD) ROW(ymm8, ymm9, NO_ADD) ROW(ymm10, ymm11, NO_ADD)
          ROW(ymm12, ymm13, NO_ADD) ROW(ymm14, ymm15, NO_ADD)
      "6:\n\t"
      "vzeroupper\n\t"
      : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [k8] "+r"(k8), [rest] "+r"(rest)
      : [ldc] "r"(ldcBytes), [add] "r"(add)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

#undef STEP
#undef ADD_C
#undef NO_ADD
#undef ROW

}  // namespace llm

#pragma GCC pop_options
#endif
