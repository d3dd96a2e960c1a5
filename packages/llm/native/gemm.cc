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
// Threads on cores that share a cache share each packed B block and split C's rows when every
// thread gets a full A block of rows (gemmShared); shorter products, and threads on distant cores
// (another die: reading the other's half of a block would cross the dies), split C by columns
// (rows when C is tall) or the batch, each thread packing into its own buffers (gemm_split.h).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>

#include <omp.h>

#include "bf16.h"
#include "gemm_split.h"
#include "runtime.h"

namespace llm {

static long envLong(const char* name, long fallback) {
  const char* v = std::getenv(name);
  long n = v ? std::atol(v) : 0;
  return n > 0 ? n : fallback;
}

bool asmKernelWanted() {
  const char* choice = std::getenv("LLM_SCRATCH_GEMM_KERNEL");
  return !choice || std::strcmp(choice, "c") != 0;
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
static void packA(const GemmConfig& cfg, const float* a, long rs, long cs, long mc, long kc, float* dst) {
  if (cs == 1) {
    // A: each panel reads MR rows, each a sequential stream.
    long i0 = 0;
    if (cfg.packA) {
      cfg.packA(a, rs, kc, mc / MR, dst);
      i0 = mc / MR * MR;
      dst += i0 * kc;
    }
    for (; i0 < mc; i0 += MR, dst += MR * kc) {
      const int mr = static_cast<int>(std::min<long>(MR, mc - i0));
      const float* rows[MR];
      for (int i = 0; i < MR; i++) rows[i] = a + (i0 + std::min(i, mr - 1)) * rs;
      if (mr == MR) {
        for (long p = 0; p < kc; p++)
          for (int i = 0; i < MR; i++) dst[p * MR + i] = rows[i][p];
      } else {
        for (long p = 0; p < kc; p++)
          for (int i = 0; i < MR; i++) dst[p * MR + i] = i < mr ? rows[i][p] : 0.0f;
      }
    }
    return;
  }
  // A^T: row p of the stored matrix holds column p of every panel. Reading it once, in order,
  // keeps the hardware prefetcher on one stream instead of one cache line per panel per p.
  const long full = mc / MR;
  const int tail = static_cast<int>(mc - full * MR);
  long q0 = 0;
  if (cfg.packAT) {
    cfg.packAT(a, cs, kc, full, dst);
    q0 = full;
    if (!tail) return;
  }
  for (long p = 0; p < kc; p++) {
    const float* src = a + p * cs;
    for (long q = q0; q < full; q++)
      for (int i = 0; i < MR; i++) dst[q * MR * kc + p * MR + i] = src[q * MR + i];
    if (tail)
      for (int i = 0; i < MR; i++) dst[full * MR * kc + p * MR + i] = i < tail ? src[full * MR + i] : 0.0f;
  }
}

// Packs a kc x nc block of B (element (p, j) at b[p*rs + j*cs]) into NR-wide panels, each kc
// rows of NR consecutive floats, zero past nc. TB is float, or uint16_t for bfloat16 bits
// (GemmArgs::bBf16), widened exactly on the way.

// Packs the `full` whole panels with a per-ISA pack, `f32` for float32 B or `bf16` for bfloat16
// bits, where the configuration has one; returns how many panels it packed (0 or full).
template <class TB>
static long packFullPanels(PackB f32, PackBBf16 bf16, const TB* b, long ld, long kc, long full, float* dst) {
  if constexpr (std::is_same_v<TB, float>) {
    if (!f32) return 0;
    f32(b, ld, kc, full, dst);
  } else {
    if (!bf16) return 0;
    bf16(b, ld, kc, full, dst);
  }
  return full;
}

template <int NR, class TB>
static void packB(const GemmConfig& cfg, const TB* b, long rs, long cs, long kc, long nc, float* dst) {
  const long full = nc / NR;
  const int tail = static_cast<int>(nc - full * NR);
  if (cs == 1) {
    // Rows are read in bands of 4: each of the 4 row streams is sequential for the prefetcher,
    // and each panel receives 4 rows (512 contiguous bytes) per band; bands of 8 or 16 were
    // 1-1.7% slower on the LM head (docs/native-kernels.md). Row by row scatters single lines
    // over every panel (write misses); panel by panel reads a new page per 64 bytes when B is
    // wide (the 50,257-column LM head). The per-ISA packs do the same with whole vectors.
    constexpr long BAND = 4;
    const long from = packFullPanels(cfg.packB, cfg.packBBf16, b, rs, kc, full, dst);
    for (long p0 = 0; p0 < kc; p0 += BAND) {
      const long p1 = std::min(kc, p0 + BAND);
      for (long q = from; q < full; q++)
        for (long p = p0; p < p1; p++) {
          if constexpr (std::is_same_v<TB, float>)
            std::memcpy(dst + q * NR * kc + p * NR, b + p * rs + q * NR, NR * sizeof(float));
          else
            for (int j = 0; j < NR; j++) dst[q * NR * kc + p * NR + j] = widenBf16(b[p * rs + q * NR + j]);
        }
      if (tail)
        for (long p = p0; p < p1; p++)
          for (int j = 0; j < NR; j++)
            dst[full * NR * kc + p * NR + j] = j < tail ? widenBf16(b[p * rs + full * NR + j]) : 0.0f;
    }
    return;
  }
  // B^T: column j of op(B) is row j of the stored matrix, contiguous in p; a panel is an NR x kc
  // transpose, done with 8 x 8 register transposes where the CPU has AVX2.
  for (long q = packFullPanels(cfg.packBT, cfg.packBTBf16, b, cs, kc, full, dst); q <= full; q++) {
    const int nr = q < full ? NR : tail;
    if (nr == 0) break;
    float* d = dst + q * NR * kc;
    for (int j = 0; j < NR; j++) {
      if (j < nr) {
        const TB* src = b + (q * NR + j) * cs;
        for (long p = 0; p < kc; p++) d[p * NR + j] = widenBf16(src[p * rs]);
      } else {
        for (long p = 0; p < kc; p++) d[p * NR + j] = 0.0f;
      }
    }
  }
}

// The two inner loops over one packed A block (mc x kc at pa) and one packed B block (kc x nc at
// pb): C (row stride ldc) gets the mc x nc block of their product. (row, col) is the block's place
// in the piece that epi describes; lastPass runs the epilogue on each finished tile.
template <int MR, int NR>
static void macroKernel(const GemmConfig& cfg, const float* pa, const float* pb, float* c, long ldc, long mc, long nc,
                        long kc, int acc, bool lastPass, const GemmEpilogue& epi, long row, long col) {
  alignas(64) float tile[MR * NR];
  const MicroKernel kernel = cfg.kernel;
  for (long jr = 0; jr < nc; jr += NR) {
    const long nr = std::min<long>(NR, nc - jr);
    const float* bp = pb + jr * kc;
    // Bring the next B micro-panel from L3 towards L2 while this one is in use (the first
    // micro-kernel on a panel would otherwise wait on L3 for its B rows), a few lines before
    // each micro-kernel: issued all at once they fill the miss queue and stall the loop.
    const float* next = bp + NR * kc;
    const float* nextEnd = jr + NR < nc ? next + NR * kc : next;
    const long panelLines = (NR * kc + 15) / 16;
    const long linesPerKernel = (panelLines * MR + mc - 1) / mc;  // the panel over mc / MR kernels
    for (long ir = 0; ir < mc; ir += MR) {
      for (const float* e = std::min(nextEnd, next + linesPerKernel * 16); next < e; next += 16)
        __builtin_prefetch(next, 0, 2);
      const long mr = std::min<long>(MR, mc - ir);
      float* cp = c + ir * ldc + jr;
      const float* ap = pa + ir * kc;
      if (mr == MR && nr == NR) {
        kernel(kc, ap, bp, cp, ldc, acc);
      } else {
        kernel(kc, ap, bp, tile, NR, 0);
        for (long i = 0; i < mr; i++)
          for (long j = 0; j < nr; j++) cp[i * ldc + j] = acc ? cp[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
      }
      if (lastPass) {
        // The epilogue's pointers for this tile at (row + ir, col + jr) of the piece.
        GemmEpilogue t = epi;
        const long r = row + ir, q = col + jr;
        if (t.bias) t.bias += q;
        if (t.preact) t.preact += r * ldc + q;
        if (t.residual) t.residual += r * ldc + q;
        cfg.epilogue(t, cp, ldc, mr, nr);
      }
    }
  }
}

// C = 0 (unless accumulate) and the epilogue, for a product with k = 0.
static void emptyProduct(const GemmConfig& cfg, float* c, long ldc, long m, long n, bool accumulate,
                         const GemmEpilogue& epi) {
  if (!accumulate)
    for (long i = 0; i < m; i++) std::memset(c + i * ldc, 0, n * sizeof(float));
  if (epi.any()) cfg.epilogue(epi, c, ldc, m, n);
}

// The rows of A blocks covering `rows` rows in equal blocks of at most MC (a multiple of MR):
// 768 rows as 384 + 384 rather than 516 + 252, whose short block would leave its sweep over each
// B micro-panel half the work.
template <int MR>
static long equalBlockRows(long rows, long MC) {
  const long blocks = std::max<long>(1, (rows + MC - 1) / MC);
  return std::max<long>(MR, ((rows + blocks - 1) / blocks + MR - 1) / MR * MR);
}

// One thread's product on an m x n piece of C.
template <int MR, int NR, class TB>
static void gemmSerial(const GemmConfig& cfg, const float* a, long ars, long acs, const TB* b, long brs,
                       long bcs, float* c, long ldc, long m, long n, long k, bool accumulate,
                       const GemmEpilogue& epi) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) return emptyProduct(cfg, c, ldc, m, n, accumulate, epi);
  const bool withEpilogue = epi.any();
  const long MC = cfg.mc, KC = cfg.kc, NC = cfg.nc;
  const long mcT = equalBlockRows<MR>(m, MC);
  const long ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const long kcMax = std::min(KC, k);
  // 8 floats of slack: the vectorized A pack stores whole 8-float columns.
  float* pa = packABuf.get(mcT * kcMax + 8);
  float* pb = packBBuf.get(ncMax * kcMax);

  for (long jc = 0; jc < n; jc += NC) {
    const long nc = std::min(NC, n - jc);
    for (long pc = 0; pc < k; pc += KC) {
      const long kc = std::min(KC, k - pc);
      const int acc = (pc > 0 || accumulate) ? 1 : 0;
      // The epilogue runs on the last pass over k, right after each tile is final.
      const bool lastPass = pc + kc == k && withEpilogue;
      packB<NR>(cfg, b + pc * brs + jc * bcs, brs, bcs, kc, nc, pb);
      for (long ic = 0; ic < m; ic += mcT) {
        const long mc = std::min(mcT, m - ic);
        packA<MR>(cfg, a + ic * ars + pc * acs, ars, acs, mc, kc, pa);
        macroKernel<MR, NR>(cfg, pa, pb, c + ic * ldc + jc, ldc, mc, nc, kc, acc, lastPass, epi, ic, jc);
      }
    }
  }
}

// The barrier between the threads of one product. libgomp's barrier puts a waiter to sleep after
// GOMP_SPINCOUNT spins, which native.ts lowers to 10,000 (see docs/native-kernels.md), and waking
// it again costs tens of microseconds on a VM, several times per product. A wait here is only the
// threads' imbalance within one B block, so it spins; past about a millisecond (a thread lost its
// core) it yields the core between checks.
class SpinBarrier {
 public:
  explicit SpinBarrier(int n) : n_(n) {}
  void wait() {
    const unsigned phase = phase_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      arrived_.store(0, std::memory_order_relaxed);
      phase_.store(phase + 1, std::memory_order_release);
      return;
    }
    for (unsigned spins = 0; phase_.load(std::memory_order_acquire) == phase; spins++) {
      if (spins < (1u << 16)) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  const int n_;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> phase_{0};
};

static thread_local Scratch packBBuf2;

// One product on nt threads the BLIS way: the threads pack each B block (kc x nc) together into
// one buffer, which they all read from L3, and split the rows of C, each packing only its own A
// blocks into its own L2. Against cutting C into column chunks (splitProduct), A is packed once per
// B block in all instead of once per chunk, and no thread packs rows it does not use. B blocks
// alternate between two buffers, so one barrier per block suffices: a thread packing block i + 1
// has passed block i's barrier, which every thread reached only after its work on block i - 1,
// the last reader of that buffer. Each element of C is summed in the same order as on one thread
// (the same KC passes, the same micro-kernel), so the result does not depend on the thread count.
template <int MR, int NR, class TB>
static void gemmShared(const GemmConfig& cfg, int nt, const float* a, long ars, long acs, const TB* b, long brs,
                       long bcs, float* c, long ldc, long m, long n, long k, bool accumulate,
                       const GemmEpilogue& epi) {
  if (k <= 0) return emptyProduct(cfg, c, ldc, m, n, accumulate, epi);
  const bool withEpilogue = epi.any();
  const long MC = cfg.mc, KC = cfg.kc, NC = cfg.nc;
  const long ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const long kcMax = std::min(KC, k);
  // The calling thread's B buffers serve as the shared ones: they are not otherwise in use meanwhile.
  float* const pbs[2] = {packBBuf.get(ncMax * kcMax), packBBuf2.get(ncMax * kcMax)};
  const long panelsM = (m + MR - 1) / MR;
  SpinBarrier barrier(nt);
#pragma omp parallel num_threads(nt)
  {
    // OpenMP may give the region fewer than nt threads (nested, or out of threads): then its own
    // barrier, which needs no count.
    const long t = omp_get_thread_num(), T = omp_get_num_threads();
    const long r0 = std::min(m, panelsM * t / T * MR), r1 = std::min(m, panelsM * (t + 1) / T * MR);
    // This thread's rows in equal blocks of at most MC.
    const long mcT = equalBlockRows<MR>(r1 - r0, MC);
    float* pa = packABuf.get(mcT * kcMax + 8);
    long block = 0;
    for (long jc = 0; jc < n; jc += NC) {
      const long nc = std::min(NC, n - jc);
      const long panelsN = (nc + NR - 1) / NR;
      const long q0 = panelsN * t / T, q1 = panelsN * (t + 1) / T;
      for (long pc = 0; pc < k; pc += KC, block++) {
        const long kc = std::min(KC, k - pc);
        const int acc = (pc > 0 || accumulate) ? 1 : 0;
        const bool lastPass = pc + kc == k && withEpilogue;
        float* pb = pbs[block % 2];
        if (q1 > q0)
          packB<NR>(cfg, b + pc * brs + (jc + q0 * NR) * bcs, brs, bcs, kc, std::min(nc, q1 * NR) - q0 * NR,
                    pb + q0 * NR * kc);
        if (T == nt) {
          barrier.wait();
        } else {
#pragma omp barrier
        }
        for (long ic = r0; ic < r1; ic += mcT) {
          const long mc = std::min(mcT, r1 - ic);
          packA<MR>(cfg, a + ic * ars + pc * acs, ars, acs, mc, kc, pa);
          macroKernel<MR, NR>(cfg, pa, pb, c + ic * ldc + jc, ldc, mc, nc, kc, acc, lastPass, epi, ic, jc);
        }
      }
    }
  }
}

template <int MR, int NR, class TB>
static void gemmDriver(const GemmConfig& cfg, const GemmArgs& g, const TB* B) {
  const long m = g.m, n = g.n, k = g.k;
  // Element (i, p) of op(A) at a[i*ars + p*acs]; element (p, j) of op(B) at b[p*brs + j*bcs].
  const long ars = g.transA ? 1 : k, acs = g.transA ? m : 1;
  const long brs = g.transB ? 1 : n, bcs = g.transB ? k : 1;
  // The epilogue of the piece of batch item bi at (i0, j0).
  auto pieceEpilogue = [&](long bi, long i0, long j0) {
    const long cOffset = bi * g.strideC + i0 * n + j0;
    GemmEpilogue epi = g.epilogue;
    if (epi.bias) epi.bias += j0;
    if (epi.preact) epi.preact += cOffset;
    if (epi.residual) epi.residual += cOffset;
    return epi;
  };
  auto item = [&](long bi, long i0, long i1, long j0, long j1) {
    const long cOffset = bi * g.strideC + i0 * n + j0;
    const GemmEpilogue epi = pieceEpilogue(bi, i0, j0);
    gemmSerial<MR, NR>(cfg, g.a + bi * g.strideA + i0 * ars, ars, acs, B + bi * g.strideB + j0 * bcs, brs, bcs,
                       g.c + cOffset, n, i1 - i0, j1 - j0, k, g.accumulate, epi);
  };
  const ProductSplit split = productSplit(g);
  // Rows enough for a full A block per thread: below that, column chunks (each packing all of a
  // small A) keep both threads busy without barriers.
  if (split.threads > 1 && !split.byItem && m >= split.threads * static_cast<long>(cfg.mc) && workersShareCache()) {
    for (long bi = 0; bi < g.batch; bi++)
      gemmShared<MR, NR>(cfg, split.threads, g.a + bi * g.strideA, ars, acs, B + bi * g.strideB, brs, bcs,
                         g.c + bi * g.strideC, n, m, n, k, g.accumulate, pieceEpilogue(bi, 0, 0));
    return;
  }
  splitProduct(g, MR, NR, item);
}

void gemm(const GemmArgs& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  const GemmConfig& cfg = gemmConfig();
  auto run = [&](const auto* B) {
    if (cfg.mr == 12 && cfg.nr == 32)
      gemmDriver<12, 32>(cfg, g, B);
    else if (cfg.mr == 6 && cfg.nr == 16)
      gemmDriver<6, 16>(cfg, g, B);
    else
      gemmDriver<4, 8>(cfg, g, B);
  };
  if (g.bBf16)
    run(g.bBf16);
  else
    run(g.b);
}

}  // namespace llm
