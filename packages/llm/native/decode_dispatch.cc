// The entry points of the decode kernels: the AVX-512 build where the CPU has it, AVX2+FMA
// otherwise, the portable one when LLM_SCRATCH_ISA=scalar or on other CPUs. Also the read-
// bandwidth probe that `bench generate` judges decoding against.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

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
void attendCached(const AttendArgs& p) { DECODE(attendCached)(p); }

double readBandwidth(long bytes, int repeats) {
  const long n = bytes / static_cast<long>(sizeof(float));
  std::unique_ptr<float[]> data(new float[n]);
  const int nt = threads();
  // Written by the threads that will read it, so each page sits where its reader runs.
#pragma omp parallel for num_threads(nt) schedule(static)
  for (long c = 0; c < (n + 65535) / 65536; c++)
    for (long i = c * 65536; i < std::min(n, (c + 1) * 65536); i++) data[i] = 1.0f;
  double best = 0;
  for (int r = 0; r < repeats; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    const double sum = DECODE(readSum)(data.get(), n, nt);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Every element is 1: a wrong sum means the loop was cut short, and the rate would lie.
    if (sum != static_cast<double>(n)) return -1;
    if (s > 0) best = std::max(best, static_cast<double>(n) * sizeof(float) / s);
  }
  return best;
}

}  // namespace llm
