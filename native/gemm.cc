// The SGEMM driver: the five loops of BLIS around a register-blocked micro-kernel.
//
//   for jc in N by NC          B block (KC x NC) packed into NR-wide panels: L3
//     for pc in K by KC
//       pack B
//       for ic in M by MC      A block (MC x KC) packed into MR-tall panels: L2
//         pack A
//         for jr in NC by NR   one B micro-panel (KC x NR): L1
//           for ir in MC by MR micro-kernel: an MR x NR tile of C in registers
//
// Packing reads A and B through (row, column) strides, so op(A) = A^T and op(B) = B^T cost
// nothing beyond a differently ordered pack: matmul's backward never copies a transpose.
// Threads split C (by columns, or rows when C is tall) or the batch; each thread packs into
// its own buffers, so no barrier is needed inside a product.
#include "gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime.h"

namespace llm {

static long envLong(const char* name, long fallback) {
  const char* v = std::getenv(name);
  long n = v ? std::atol(v) : 0;
  return n > 0 ? n : fallback;
}

static GemmConfig chooseConfig() {
  GemmConfig cfg{};
  Isa i = isa();
  bool ok = false;
  if (i == Isa::Avx512) ok = avx512Kernel(&cfg);
  if (!ok && (i == Isa::Avx512 || i == Isa::Avx2)) ok = avx2Kernel(&cfg);
  if (!ok) scalarKernel(&cfg);
  // Blocking overrides for tuning on a new CPU (docs/native-kernels.md).
  cfg.mc = static_cast<int>(envLong("LLM_SCRATCH_GEMM_MC", cfg.mc));
  cfg.kc = static_cast<int>(envLong("LLM_SCRATCH_GEMM_KC", cfg.kc));
  cfg.nc = static_cast<int>(envLong("LLM_SCRATCH_GEMM_NC", cfg.nc));
  cfg.mc = std::max(cfg.mr, cfg.mc / cfg.mr * cfg.mr);
  cfg.nc = std::max(cfg.nr, cfg.nc / cfg.nr * cfg.nr);
  return cfg;
}

const GemmConfig& gemmConfig() {
  static const GemmConfig cfg = chooseConfig();
  return cfg;
}

// A 64-byte aligned scratch buffer per thread, grown on demand and kept for the thread's life
// (OpenMP's workers persist, so steady-state products allocate nothing).
struct Scratch {
  float* data = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(data);
      cap = n;
      data = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
    }
    return data;
  }
  ~Scratch() { std::free(data); }
};
static thread_local Scratch packABuf, packBBuf;

// Packs an mc x kc block of A (element (i, p) at a[i*rs + p*cs]) into MR-tall panels, each
// kc columns of MR consecutive floats; rows past mc are zero so edge tiles need no special case.
template <int MR>
static void packA(const float* a, long rs, long cs, long mc, long kc, float* dst) {
  for (long i0 = 0; i0 < mc; i0 += MR) {
    const int mr = static_cast<int>(std::min<long>(MR, mc - i0));
    if (cs == 1) {
      const float* rows[MR];
      for (int i = 0; i < MR; i++) rows[i] = a + (i0 + std::min(i, mr - 1)) * rs;
      if (mr == MR) {
        for (long p = 0; p < kc; p++)
          for (int i = 0; i < MR; i++) dst[p * MR + i] = rows[i][p];
      } else {
        for (long p = 0; p < kc; p++)
          for (int i = 0; i < MR; i++) dst[p * MR + i] = i < mr ? rows[i][p] : 0.0f;
      }
    } else {
      // A^T: the MR values of one column are contiguous.
      const float* src = a + i0 * rs;
      for (long p = 0; p < kc; p++, src += cs) {
        if (mr == MR) {
          for (int i = 0; i < MR; i++) dst[p * MR + i] = src[i];
        } else {
          for (int i = 0; i < MR; i++) dst[p * MR + i] = i < mr ? src[i] : 0.0f;
        }
      }
    }
    dst += MR * kc;
  }
}

// Packs a kc x nc block of B (element (p, j) at b[p*rs + j*cs]) into NR-wide panels, each kc
// rows of NR consecutive floats, zero past nc.
template <int NR>
static void packB(const float* b, long rs, long cs, long kc, long nc, float* dst) {
  for (long j0 = 0; j0 < nc; j0 += NR) {
    const int nr = static_cast<int>(std::min<long>(NR, nc - j0));
    if (cs == 1) {
      const float* src = b + j0;
      for (long p = 0; p < kc; p++, src += rs) {
        if (nr == NR) {
          std::memcpy(dst + p * NR, src, NR * sizeof(float));
        } else {
          for (int j = 0; j < NR; j++) dst[p * NR + j] = j < nr ? src[j] : 0.0f;
        }
      }
    } else {
      // B^T: each of the NR columns is a contiguous row of the stored matrix; read them in
      // order and scatter into the panel, which stays in L1 (kc x NR floats).
      for (int j = 0; j < NR; j++) {
        if (j < nr) {
          const float* src = b + (j0 + j) * cs;
          for (long p = 0; p < kc; p++) dst[p * NR + j] = src[p * rs];
        } else {
          for (long p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
        }
      }
    }
    dst += NR * kc;
  }
}

// One thread's product on an m x n piece of C.
template <int MR, int NR>
static void gemmSerial(const GemmConfig& cfg, const float* a, long ars, long acs, const float* b, long brs,
                       long bcs, float* c, long ldc, long m, long n, long k, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (long i = 0; i < m; i++) std::memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  const long MC = cfg.mc, KC = cfg.kc, NC = cfg.nc;
  const long mcMax = std::min(MC, (m + MR - 1) / MR * MR);
  const long ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const long kcMax = std::min(KC, k);
  float* pa = packABuf.get(mcMax * kcMax);
  float* pb = packBBuf.get(ncMax * kcMax);
  alignas(64) float tile[MR * NR];
  const MicroKernel kernel = cfg.kernel;

  for (long jc = 0; jc < n; jc += NC) {
    const long nc = std::min(NC, n - jc);
    for (long pc = 0; pc < k; pc += KC) {
      const long kc = std::min(KC, k - pc);
      const int acc = (pc > 0 || accumulate) ? 1 : 0;
      packB<NR>(b + pc * brs + jc * bcs, brs, bcs, kc, nc, pb);
      for (long ic = 0; ic < m; ic += MC) {
        const long mc = std::min(MC, m - ic);
        packA<MR>(a + ic * ars + pc * acs, ars, acs, mc, kc, pa);
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = std::min<long>(NR, nc - jr);
          const float* bp = pb + jr * kc;
          for (long ir = 0; ir < mc; ir += MR) {
            const long mr = std::min<long>(MR, mc - ir);
            float* cp = c + (ic + ir) * ldc + jc + jr;
            const float* ap = pa + ir * kc;
            if (mr == MR && nr == NR) {
              kernel(kc, ap, bp, cp, ldc, acc);
            } else {
              kernel(kc, ap, bp, tile, NR, 0);
              for (long i = 0; i < mr; i++)
                for (long j = 0; j < nr; j++) cp[i * ldc + j] = acc ? cp[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
            }
          }
        }
      }
    }
  }
}

template <int MR, int NR>
static void gemmDriver(const GemmConfig& cfg, const GemmArgs& g) {
  const long m = g.m, n = g.n, k = g.k;
  // Element (i, p) of op(A) at a[i*ars + p*acs]; element (p, j) of op(B) at b[p*brs + j*bcs].
  const long ars = g.transA ? 1 : k, acs = g.transA ? m : 1;
  const long brs = g.transB ? 1 : n, bcs = g.transB ? k : 1;
  auto item = [&](long bi, long i0, long i1, long j0, long j1) {
    gemmSerial<MR, NR>(cfg, g.a + bi * g.strideA + i0 * ars, ars, acs, g.b + bi * g.strideB + j0 * bcs, brs, bcs,
                       g.c + bi * g.strideC + i0 * n + j0, n, i1 - i0, j1 - j0, k, g.accumulate);
  };
  int nt = threads();
  // Below ~2 MFLOP per call a second thread costs more in wake-up than it saves.
  const double work = static_cast<double>(g.batch) * m * n * k;
  if (work < 1 << 20) nt = 1;
  if (nt == 1) {
    for (long bi = 0; bi < g.batch; bi++) item(bi, 0, m, 0, n);
    return;
  }
  // A stride-0 C would make batch items race on one output; such products stay serial per item.
  if (g.strideC != 0 && (g.batch % nt == 0 || g.batch >= 4 * nt)) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long bi = 0; bi < g.batch; bi++) item(bi, 0, m, 0, n);
    return;
  }
  for (long bi = 0; bi < g.batch; bi++) {
    // Split C into nt slabs along its longer side, on register-block boundaries.
    const bool byCols = n >= m;
    const long units = byCols ? (n + NR - 1) / NR : (m + MR - 1) / MR;
    const int parts = static_cast<int>(std::min<long>(nt, units));
#pragma omp parallel num_threads(parts)
    {
      const int t = omp_get_thread_num();
      const long u0 = units * t / parts, u1 = units * (t + 1) / parts;
      if (byCols)
        item(bi, 0, m, std::min(n, u0 * NR), std::min(n, u1 * NR));
      else
        item(bi, std::min(m, u0 * MR), std::min(m, u1 * MR), 0, n);
    }
  }
}

void gemm(const GemmArgs& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  const GemmConfig& cfg = gemmConfig();
  if (cfg.mr == 12 && cfg.nr == 32)
    gemmDriver<12, 32>(cfg, g);
  else if (cfg.mr == 6 && cfg.nr == 16)
    gemmDriver<6, 16>(cfg, g);
  else
    gemmDriver<4, 8>(cfg, g);
}

}  // namespace llm
