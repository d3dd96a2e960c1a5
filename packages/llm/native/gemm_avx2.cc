// The AVX2+FMA micro-kernel: 6 x 16 (12 ymm accumulators, 2 for the B row, 1 broadcast = 15 of
// 16 registers), the shape BLIS uses on Haswell and Zen. Per k step: 2 loads, 6 broadcasts,
// 12 FMAs, enough independent chains to cover 2 FMA pipes x 4-5 cycles of latency.
#include "bf16.h"
#include "gemm.h"

#include <algorithm>

#include <cmath>
#include <cstdint>

#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>

// fastmath.h after the standard headers, so that only its own static functions compile for AVX2.
#include "fastmath.h"
#define EPILOGUE_NAME epilogueAvx2Impl
#include "gemm_epilogue.inc"
#undef EPILOGUE_NAME

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
#include "transpose8x8.h"

namespace llm {


// 8 consecutive elements of a B row as floats: float32 as stored, bfloat16 bits widened (a shift).
static inline __m256 loadRow8(const float* p) { return _mm256_loadu_ps(p); }
static inline __m256 loadRow8(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// NR-wide panels of B^T by 8 x 8 blocks: 8 sequential row streams in, 8 NR-strided vectors out;
// TB is float, or uint16_t for bfloat16 bits widened on load.
template <int NR, class TB>
static void packBTransposedAvx2(const TB* b, long ld, long kc, long panels, float* dst) {
  const long kc8 = kc / 8 * 8;
  for (long q = 0; q < panels; q++, dst += NR * kc) {
    const TB* src = b + q * NR * ld;
    for (int jb = 0; jb < NR; jb += 8) {
      const TB* rows = src + jb * ld;
      for (long p = 0; p < kc8; p += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) r[i] = loadRow8(rows + i * ld + p);
        transpose8x8(r);
        for (int i = 0; i < 8; i++) _mm256_store_ps(dst + (p + i) * NR + jb, r[i]);
      }
      for (long p = kc8; p < kc; p++)
        for (int i = 0; i < 8; i++) dst[p * NR + jb + i] = widenBf16(rows[i * ld + p]);
    }
  }
}

// NR-wide panels of B (rows contiguous in j) in whole vectors; TB is float, or uint16_t for
// bfloat16 bits widened on load. The rows go in bands of 4, as in gemm.cc's generic pack, which
// gemm.cc's baseline build turns into 16-byte moves: these 32-byte ones made the LM-head products,
// whose B streams from memory, 1-4% faster on Zen 5 (docs/native-kernels.md).
template <int NR, class TB>
static void packBAvx2(const TB* b, long ld, long kc, long panels, float* dst) {
  constexpr long BAND = 4;
  for (long p0 = 0; p0 < kc; p0 += BAND) {
    const long p1 = std::min(kc, p0 + BAND);
    for (long q = 0; q < panels; q++) {
      const TB* src = b + p0 * ld + q * NR;
      float* d = dst + q * NR * kc + p0 * NR;
      for (long p = p0; p < p1; p++, src += ld, d += NR)
        for (int j = 0; j < NR; j += 8) _mm256_storeu_ps(d + j, loadRow8(src + j));
    }
  }
}

// MR-tall panels of A (rows contiguous in p) by 8 x 8 transposes: rows are loaded 8 floats at a
// time and each transposed column (MR floats, padded to 8) is stored whole, so a store overlaps
// the next column's start, which the next store then overwrites. The last store of the block
// reaches up to 8 floats past it: the caller's buffer has that slack.
template <int MR>
static void packAAvx2(const float* a, long lda, long kc, long panels, float* dst) {
  constexpr int NB = (MR + 7) / 8;
  const long kc8 = kc / 8 * 8;
  for (long q = 0; q < panels; q++, dst += MR * kc) {
    const float* rows = a + q * MR * lda;
    for (long p = 0; p < kc8; p += 8) {
      __m256 r[NB][8];
      for (int blk = 0; blk < NB; blk++) {
        for (int i = 0; i < 8; i++) {
          const int row = blk * 8 + i;
          r[blk][i] = row < MR ? _mm256_loadu_ps(rows + row * lda + p) : _mm256_setzero_ps();
        }
        transpose8x8(r[blk]);
      }
      for (int i = 0; i < 8; i++)
        for (int blk = 0; blk < NB; blk++) _mm256_storeu_ps(dst + (p + i) * MR + blk * 8, r[blk][i]);
    }
    for (long p = kc8; p < kc; p++)
      for (int i = 0; i < MR; i++) dst[p * MR + i] = rows[i * lda + p];
  }
}

// MR-tall panels of op(A) = A^T: column p of every panel is MR consecutive floats of stored row
// p, moved with whole 8-float vectors. The last vector of a column is masked on the load, so the
// read never passes the matrix, but stored whole: its overrun lands in the next column's slot of
// the same panel, which is written after it. A panel's last column would overrun into the next
// panel, so it is stored exactly.
// The rows are taken in bands of 8, panel by panel within a band: each panel then receives 8
// consecutive columns (MR x 8 floats, whole lines) at a time. Row by row, every column went to a
// different panel: panels MR x kc floats apart, 12 KiB for MR = 12 and kc = 256, which all map to
// one set of the L1, so a block of 16 or more panels evicted its half-written lines (12-way L1).
template <int MR>
static void packATransposedAvx2(const float* a, long ld, long kc, long panels, float* dst) {
  constexpr int NB = (MR + 7) / 8;
  constexpr int LAST = MR - 8 * (NB - 1);
  constexpr long BAND = 8;
  alignas(32) static const int lanes[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(LAST), _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes)));
  for (long p0 = 0; p0 < kc; p0 += BAND) {
    const long p1 = std::min(kc, p0 + BAND);
    // The rows are far apart (a row of the stored matrix per p) and each is read only a few lines
    // wide, a pattern the hardware prefetcher misses: fetch the next band's rows by hand.
    for (long p = p1; p < std::min(kc, p1 + BAND); p++)
      for (long j = 0; j < panels * MR; j += 16) _mm_prefetch(reinterpret_cast<const char*>(a + p * ld + j), _MM_HINT_T0);
    for (long q = 0; q < panels; q++) {
      const float* src = a + p0 * ld + q * MR;
      float* d = dst + q * MR * kc + p0 * MR;
      for (long p = p0; p < p1; p++, src += ld, d += MR) {
        for (int blk = 0; blk + 1 < NB; blk++) _mm256_storeu_ps(d + 8 * blk, _mm256_loadu_ps(src + 8 * blk));
        const __m256 last = _mm256_maskload_ps(src + 8 * (NB - 1), mask);
        if (p + 1 < kc)
          _mm256_storeu_ps(d + 8 * (NB - 1), last);
        else
          _mm256_maskstore_ps(d + 8 * (NB - 1), mask, last);
      }
    }
  }
}

void epilogueAvx2(const GemmEpilogue& e, float* c, long ldc, long rows, long cols) {
  epilogueAvx2Impl(e, c, ldc, rows, cols);
}

void packATransposedAvx2_6(const float* a, long ld, long kc, long panels, float* dst) {
  packATransposedAvx2<6>(a, ld, kc, panels, dst);
}
void packATransposedAvx2_12(const float* a, long ld, long kc, long panels, float* dst) {
  packATransposedAvx2<12>(a, ld, kc, panels, dst);
}

void packAAvx2_6(const float* a, long lda, long kc, long panels, float* dst) { packAAvx2<6>(a, lda, kc, panels, dst); }
void packAAvx2_12(const float* a, long lda, long kc, long panels, float* dst) {
  packAAvx2<12>(a, lda, kc, panels, dst);
}

void packBAvx2_16(const float* b, long ld, long kc, long panels, float* dst) { packBAvx2<16>(b, ld, kc, panels, dst); }
void packBAvx2_32(const float* b, long ld, long kc, long panels, float* dst) { packBAvx2<32>(b, ld, kc, panels, dst); }
void packBBf16Avx2_16(const uint16_t* b, long ld, long kc, long panels, float* dst) {
  packBAvx2<16>(b, ld, kc, panels, dst);
}
void packBBf16Avx2_32(const uint16_t* b, long ld, long kc, long panels, float* dst) {
  packBAvx2<32>(b, ld, kc, panels, dst);
}
void packBTransposedAvx2_16(const float* b, long ld, long kc, long panels, float* dst) {
  packBTransposedAvx2<16>(b, ld, kc, panels, dst);
}
void packBTransposedAvx2_32(const float* b, long ld, long kc, long panels, float* dst) {
  packBTransposedAvx2<32>(b, ld, kc, panels, dst);
}
void packBTransposedBf16Avx2_16(const uint16_t* b, long ld, long kc, long panels, float* dst) {
  packBTransposedAvx2<16>(b, ld, kc, panels, dst);
}
void packBTransposedBf16Avx2_32(const uint16_t* b, long ld, long kc, long panels, float* dst) {
  packBTransposedAvx2<32>(b, ld, kc, panels, dst);
}

}  // namespace llm

#pragma GCC pop_options

namespace llm {
bool avx2Kernel(GemmConfig* out) {
  // KC = 256 keeps the 16 KiB B micro-panel in a 32 KiB L1. MC = 96 (96 KiB of packed A) and
  // NC = 1024 keep the C block a micro-panel sweep touches (96 x 1024 floats) in a 512 KiB L2
  // beside A: measured on Zen 3 against OpenBLAS call by call (bench/gemm_paired.cc), this took
  // the 1-thread geometric-mean ratio from 0.93 (BLIS's 144/256/4080) to 0.99, and the
  // 50,257-wide LM-head products from 0.78-0.84 to 0.92-0.95.
  *out = GemmConfig{6, 16, 96, 256, 1024, ukernelAvx2_6x16, packAAvx2_6, packATransposedAvx2_6, packBTransposedAvx2_16, "avx2 6x16", epilogueAvx2, packBTransposedBf16Avx2_16, packBAvx2_16, packBBf16Avx2_16};
  // With an L2 of 1 MiB or more (this build on Zen 4 and 5, Intel's recent client cores), MC =
  // 288 instead: on Zen 5 1.5% faster over bench:gemm's shapes at 1 thread, within the noise at 2
  // (bench/gemm_ab.cc, docs/native-kernels.md). A CPU that does not report its L2 (0) keeps 96.
#ifdef _SC_LEVEL2_CACHE_SIZE
  if (sysconf(_SC_LEVEL2_CACHE_SIZE) >= (1L << 20)) out->mc = 288;
#endif
#if defined(__x86_64__) && defined(__GNUC__)
  if (asmKernelWanted()) {
    out->kernel = ukernelAvx2Asm6x16;
    out->name = "avx2 6x16 asm";
  }
#endif
  return true;
}
}  // namespace llm
#else
namespace llm {
bool avx2Kernel(GemmConfig*) { return false; }
}  // namespace llm
#endif
