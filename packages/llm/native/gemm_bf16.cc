// The bf16 GEMM driver: gemm.cc's five BLIS loops, with packing that rounds to bf16 and a
// micro-kernel that takes bf16 pairs (gemm_bf16.h). The cache blocks and the split over threads are
// the f32 GEMM's, so on a CPU without AVX-512 BF16 every element of C is accumulated in the same
// order as the f32 GEMM of the rounded operands: the two agree bit for bit there.
#include "gemm_bf16.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "gemm_split.h"
#include "runtime.h"

namespace llm {

// The portable micro-kernel (4 x 8), for LLM_SCRATCH_ISA=scalar and CPUs without AVX2.
static void ukernelBf16Scalar(long kc, const void* av, const uint16_t* b, float* c, long ldc, int accumulate) {
  constexpr int MR = 4, NR = 8;
  const float* a = static_cast<const float*>(av);
  float acc[MR][NR] = {};
  for (long p = 0; p < kc; p++) {
    const uint16_t* row = b + (p / 2) * NR * 2 + (p & 1);
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += a[p * MR + i] * widenBf16(row[j * 2]);
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

// vdpbf16ps in portable code, on the AVX-512 BF16 kernel's tile and packing (A in bf16 pairs too):
// acc += a(even k) * b(even k), then += the odd k's product, in f32. Chosen only with
// LLM_SCRATCH_BF16_KERNEL=pairs, so that the tests run that layout on CPUs without AVX-512 BF16.
static void ukernelBf16Pairs(long kc, const void* av, const uint16_t* b, float* c, long ldc, int accumulate) {
  constexpr int MR = 12, NR = 32;
  const uint16_t* a = static_cast<const uint16_t*>(av);
  float acc[MR][NR] = {};
  for (long p2 = 0; p2 < (kc + 1) / 2; p2++, a += MR * 2, b += NR * 2)
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) {
        acc[i][j] += widenBf16(a[2 * i]) * widenBf16(b[2 * j]);
        acc[i][j] += widenBf16(a[2 * i + 1]) * widenBf16(b[2 * j + 1]);
      }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

static Bf16GemmConfig chooseConfig() {
  Bf16GemmConfig cfg{};
  const char* choice = std::getenv("LLM_SCRATCH_BF16_KERNEL");
  if (choice && std::strcmp(choice, "pairs") == 0)
    return Bf16GemmConfig{12, 32, 192, 256, 4096, true, ukernelBf16Pairs, "portable 12x32 bf16 pairs"};
  bool ok = hasAvx512Bf16() && bf16Avx512Kernel(&cfg);
  if (!ok && (isa() == Isa::Avx512 || isa() == Isa::Avx2)) ok = bf16Avx2Kernel(&cfg);
  if (!ok) cfg = Bf16GemmConfig{4, 8, 64, 256, 512, false, ukernelBf16Scalar, "portable 4x8 (widened)"};
  // The f32 GEMM's blocks (and their LLM_SCRATCH_GEMM_* overrides) where the tile is the same, so
  // the two sum in the same order.
  const GemmConfig& f32 = gemmConfig();
  if (f32.mr == cfg.mr && f32.nr == cfg.nr) {
    cfg.mc = f32.mc;
    cfg.kc = f32.kc;
    cfg.nc = f32.nc;
  }
  return cfg;
}

const Bf16GemmConfig& bf16GemmConfig() {
  static const Bf16GemmConfig cfg = chooseConfig();
  return cfg;
}

// 64-byte aligned per-thread scratch, kept for the thread's life (as gemm.cc's).
struct Bf16Scratch {
  void* data = nullptr;
  size_t cap = 0;
  void* get(size_t bytes) {
    if (bytes > cap) {
      std::free(data);
      cap = (bytes + 63) / 64 * 64;
      data = std::aligned_alloc(64, cap);
    }
    return data;
  }
  ~Bf16Scratch() { std::free(data); }
};
static thread_local Bf16Scratch packABf16, packBBf16;

// Packs a kc x nc block of op(B) (element (p, j) at b[p*rs + j*cs]) into nr-wide panels of bf16
// pairs, zero past nc and past kc.
static void packB(const Bf16GemmConfig& cfg, const float* b, long rs, long cs, long kc, long nc, uint16_t* dst) {
  const int NR = cfg.nr;
  if (cfg.packPairs) return cfg.packPairs(NR, b, cs, rs, nc, kc, dst);
  const long kc2 = (kc + 1) / 2;
  for (long j0 = 0; j0 < nc; j0 += NR, dst += NR * kc2 * 2) {
    const int nr = static_cast<int>(std::min<long>(NR, nc - j0));
    for (long p2 = 0; p2 < kc2; p2++) {
      uint16_t* d = dst + p2 * NR * 2;
      const long p = 2 * p2;
      const float* r0 = b + p * rs + j0 * cs;
      const bool odd = p + 1 < kc;
      for (int j = 0; j < nr; j++) {
        d[2 * j] = roundBf16(r0[j * cs]);
        d[2 * j + 1] = odd ? roundBf16(r0[rs + j * cs]) : 0;
      }
      for (int j = nr; j < NR; j++) d[2 * j] = d[2 * j + 1] = 0;
    }
  }
}

// Packs an mc x kc block of op(A) (element (i, p) at a[i*rs + p*cs]) into mr-tall panels: floats
// rounded to bf16 values, or bf16 pairs when the kernel multiplies pairs; zero past mc and kc.
static void packA(const Bf16GemmConfig& cfg, const float* a, long rs, long cs, long mc, long kc, void* out) {
  const int MR = cfg.mr;
  const bool pairs = cfg.aPairs;
  if (pairs && cfg.packPairs) return cfg.packPairs(MR, a, rs, cs, mc, kc, static_cast<uint16_t*>(out));
  const long kc2 = (kc + 1) / 2;
  for (long i0 = 0; i0 < mc; i0 += MR) {
    const int mr = static_cast<int>(std::min<long>(MR, mc - i0));
    const float* src = a + i0 * rs;
    if (pairs) {
      uint16_t* d = static_cast<uint16_t*>(out) + i0 * kc2 * 2;
      for (long p = 0; p < kc2 * 2; p++)
        for (int i = 0; i < MR; i++)
          d[(p / 2) * MR * 2 + i * 2 + (p & 1)] = i < mr && p < kc ? roundBf16(src[i * rs + p * cs]) : 0;
    } else {
      float* d = static_cast<float*>(out) + i0 * kc;
      for (long p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) d[p * MR + i] = i < mr ? widenBf16(roundBf16(src[i * rs + p * cs])) : 0.0f;
    }
  }
}

// One thread's product on an m x n piece of C.
static void gemmSerial(const Bf16GemmConfig& cfg, const float* a, long ars, long acs, const float* b, long brs,
                       long bcs, float* c, long ldc, long m, long n, long k, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (long i = 0; i < m; i++) std::memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  const int MR = cfg.mr, NR = cfg.nr;
  const long MC = cfg.mc, KC = cfg.kc, NC = cfg.nc;
  const long mcMax = std::min(MC, (m + MR - 1) / MR * MR);
  const long ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const long kc2Max = (std::min(KC, k) + 1) / 2;
  // A pair of bf16 takes the bytes of one float: either A layout fits 2 * kc2 floats per row.
  char* pa = static_cast<char*>(packABf16.get(mcMax * kc2Max * 2 * sizeof(float)));
  uint16_t* pb = static_cast<uint16_t*>(packBBf16.get(ncMax * kc2Max * 2 * sizeof(uint16_t)));
  alignas(64) float tile[12 * 32];

  for (long jc = 0; jc < n; jc += NC) {
    const long nc = std::min(NC, n - jc);
    for (long pc = 0; pc < k; pc += KC) {
      const long kc = std::min(KC, k - pc);
      const long kc2 = (kc + 1) / 2;
      const int acc = (pc > 0 || accumulate) ? 1 : 0;
      packB(cfg, b + pc * brs + jc * bcs, brs, bcs, kc, nc, pb);
      const size_t aPanelBytes = cfg.aPairs ? MR * kc2 * 2 * sizeof(uint16_t) : MR * kc * sizeof(float);
      for (long ic = 0; ic < m; ic += MC) {
        const long mc = std::min(MC, m - ic);
        packA(cfg, a + ic * ars + pc * acs, ars, acs, mc, kc, pa);
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = std::min<long>(NR, nc - jr);
          const uint16_t* bp = pb + jr * kc2 * 2;
          for (long ir = 0; ir < mc; ir += MR) {
            const long mr = std::min<long>(MR, mc - ir);
            float* cp = c + (ic + ir) * ldc + jc + jr;
            const void* ap = pa + (ir / MR) * aPanelBytes;
            if (mr == MR && nr == NR) {
              cfg.kernel(kc, ap, bp, cp, ldc, acc);
            } else {
              cfg.kernel(kc, ap, bp, tile, NR, 0);
              for (long i = 0; i < mr; i++)
                for (long j = 0; j < nr; j++)
                  cp[i * ldc + j] = acc ? cp[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
            }
          }
        }
      }
    }
  }
}

// Split over threads as the f32 driver splits (gemm_split.h): the same pieces for the same shape.
void gemmBf16(const GemmArgs& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  const Bf16GemmConfig& cfg = bf16GemmConfig();
  const long m = g.m, n = g.n, k = g.k;
  const long MR = cfg.mr, NR = cfg.nr;
  const long ars = g.transA ? 1 : k, acs = g.transA ? m : 1;
  const long brs = g.transB ? 1 : n, bcs = g.transB ? k : 1;
  // The epilogue (bias, GELU, residual) runs once per piece after its product is final, with the f32
  // GEMM's epilogue function: the same result as the f32 path gives for the same sums.
  auto item = [&](long bi, long i0, long i1, long j0, long j1) {
    const long cOffset = bi * g.strideC + i0 * n + j0;
    gemmSerial(cfg, g.a + bi * g.strideA + i0 * ars, ars, acs, g.b + bi * g.strideB + j0 * bcs, brs, bcs,
               g.c + cOffset, n, i1 - i0, j1 - j0, k, g.accumulate);
    if (g.epilogue.any()) {
      GemmEpilogue epi = g.epilogue;
      if (epi.bias) epi.bias += j0;
      if (epi.preact) epi.preact += cOffset;
      if (epi.residual) epi.residual += cOffset;
      gemmConfig().epilogue(epi, g.c + cOffset, n, i1 - i0, j1 - j0);
    }
  };
  splitProduct(g, MR, NR, item);
}

}  // namespace llm
