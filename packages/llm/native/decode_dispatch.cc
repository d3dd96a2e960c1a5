// The entry points of the decode kernels: the AVX-512 build where the CPU has it, AVX2+FMA
// otherwise, the portable one when LLM_SCRATCH_ISA=scalar or on other CPUs. Also the read-
// bandwidth probe that `bench generate` judges decoding against.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "kernels.h"
#include "runtime.h"

namespace llm {

#if defined(__x86_64__)
#define DECODE(name)                                                  \
  (isa() == Isa::Avx512 ? avx512::name : isa() == Isa::Avx2 ? avx2::name \
                                                            : portable::name)
#else
#define DECODE(name) portable::name
#endif

bool hasAvx512Bf16() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return isa() == Isa::Avx512 && __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

void gemv(const GemvArgs& p) { DECODE(gemv)(p); }
void gemvMany(const GemvArgs* ps, int count) { DECODE(gemvMany)(ps, count); }
void attendCached(const AttendArgs& p) { DECODE(attendCached)(p); }
void attendMany(const AttendArgs* ps, long count) { DECODE(attendMany)(ps, count); }

namespace {

constexpr uintptr_t kHugePage = 2u << 20;
// MADV_COLLAPSE (Linux 6.1) is missing from older headers; an older kernel answers EINVAL.
constexpr int kMadvCollapse = 25;

struct Freed {
  void operator()(float* p) const { std::free(p); }
};

}  // namespace

#if defined(__linux__) && defined(MADV_HUGEPAGE)
namespace {

// Whether every 4 KiB page of the 2 MiB at `page` is in memory: collapsing one that is not would
// fill it with zeros and grow the process (a bf16 model's released float32 arrays leave such holes
// beside its weights).
bool resident(uintptr_t page) {
  unsigned char in[kHugePage / 4096];
  if (mincore(reinterpret_cast<void*>(page), kHugePage, in) != 0) return false;
  for (unsigned char c : in)
    if (!(c & 1)) return false;
  return true;
}

}  // namespace
#endif

size_t adviseHugePages(const void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes == 0) return 0;
  // Rounded outwards to whole 2 MiB pages: an array rarely starts on one, and a matrix of 2.4 MB
  // would otherwise hold none. The memory around it belongs to other arrays of this process, and
  // collapsing keeps its contents; an edge page is collapsed only when all of it is in memory.
  // A page that cannot be collapsed (part of it not mapped, or not anonymous memory, or no huge
  // page free) stays as it was.
  const uintptr_t first = reinterpret_cast<uintptr_t>(data);
  const uintptr_t last = first + bytes;
  const uintptr_t start = first & ~(kHugePage - 1);
  const uintptr_t end = (last + kHugePage - 1) & ~(kHugePage - 1);
  madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
  size_t covered = 0;
  // Already-populated pages stay 4 KiB until khugepaged gets to them (minutes): collapsed now,
  // one page at a time to know which ones took.
  for (uintptr_t page = start; page < end; page += kHugePage) {
    const bool inside = page >= first && page + kHugePage <= last;
    if ((inside || resident(page)) && madvise(reinterpret_cast<void*>(page), kHugePage, kMadvCollapse) == 0)
      covered += std::min(last, page + kHugePage) - std::max(first, page);
  }
  return covered;
#else
  (void)data;
  (void)bytes;
  return 0;
#endif
}

double readBandwidth(long bytes, int repeats, bool hugePages) {
  const long n = bytes / static_cast<long>(sizeof(float));
  const size_t size = (static_cast<size_t>(n) * sizeof(float) + kHugePage - 1) & ~(kHugePage - 1);
  std::unique_ptr<float[], Freed> data(static_cast<float*>(std::aligned_alloc(kHugePage, size)));
  if (!data) return -1;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advised before the first write, so the pages are huge from the start (or 4 KiB where the
  // machine has none free), and 4 KiB where hugePages is false.
  madvise(data.get(), size, hugePages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#else
  (void)hugePages;
#endif
  const int nt = threads();
  // Written by the threads that will read it, so each page sits where its reader runs.
#pragma omp parallel for num_threads(nt) schedule(static)
  for (long c = 0; c < (n + 65535) / 65536; c++)
    for (long i = c * 65536; i < std::min(n, (c + 1) * 65536); i++) data[i] = 1.0f;
  double best = 0;
  for (int r = 0; r < repeats; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    // Passes alternate between one stream per chunk and four side by side (readSum): the limit is
    // the better pattern, as the gemv tiles read several rows apart.
    const double sum = DECODE(readSum)(data.get(), n, nt, r % 2 == 0 ? 1 : 4);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Every element is 1: a wrong sum means the loop was cut short, and the rate would lie.
    if (sum != static_cast<double>(n)) return -1;
    if (s > 0) best = std::max(best, static_cast<double>(n) * sizeof(float) / s);
  }
  return best;
}

double updateBandwidth(long bytes, int repeats) {
  const long n = bytes / 4 / static_cast<long>(sizeof(float));
  const size_t size = (static_cast<size_t>(n) * sizeof(float) + 63) & ~size_t{63};
  std::unique_ptr<float[], Freed> arrays[4];
  for (auto& array : arrays) {
    array.reset(static_cast<float*>(std::aligned_alloc(64, size)));
    if (!array) return -1;
  }
  float *a = arrays[0].get(), *b = arrays[1].get(), *c = arrays[2].get(), *g = arrays[3].get();
  const int nt = threads();
  // Written by the threads that will update it, in the same static split.
#pragma omp parallel for num_threads(nt) schedule(static)
  for (long i = 0; i < n; i++) a[i] = b[i] = c[i] = g[i] = 1.0f;
  double best = 0;
  for (int r = 0; r < repeats; r++) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long i = 0; i < n; i++) {
      a[i] = a[i] * 0.5f + g[i];
      b[i] = b[i] * 0.5f + g[i];
      c[i] = c[i] * 0.5f + g[i];
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0) best = std::max(best, 7.0 * static_cast<double>(n) * sizeof(float) / s);
  }
  // Every value moves from 1 towards 2 (x -> x / 2 + 1): anything else means a pass was cut short.
  for (long i = 0; i < n; i += 4096)
    if (!(a[i] > 1.0f && a[i] <= 2.0f && c[i] == a[i])) return -1;
  return best;
}

}  // namespace llm
