// Our SGEMM against itself under other settings, in one process, call by call: the sources are
// compiled twice (the second copy in namespace llmB) and the second copy's configuration is made
// while the NAME=VALUE arguments are set in the environment (LLM_SCRATCH_GEMM_KERNEL=c for the C++
// micro-kernel instead of the assembly one, LLM_SCRATCH_GEMM_NC=1024 for other blocking, ...). For
// each shape it alternates the two (which goes first flips every pair) and prints the median of
// the per-pair time ratios, so load on a shared machine hits both sides of a pair, and says whether
// the two results differ. With no arguments it compares two identical copies: the ratios then show
// the harness's own spread.
//
//   S="native/gemm.cc native/gemm_avx2.cc native/gemm_avx2_asm.cc native/gemm_avx512.cc native/gemm_avx512_asm.cc native/gemm_scalar.cc native/runtime.cc native/thread_distance.cc"
//   F="-O3 -std=c++17 -fopenmp -fno-math-errno -fno-trapping-math -Inative"
//   mkdir -p /tmp/gab && for f in $S; do g++ $F -c $f -o /tmp/gab/a_$(basename $f .cc).o; g++ $F -Dllm=llmB -c $f -o /tmp/gab/b_$(basename $f .cc).o; done
//   g++ $F bench/gemm_ab.cc /tmp/gab/*.o -o /tmp/gemm_ab && PAIRS=21 /tmp/gemm_ab LLM_SCRATCH_GEMM_KERNEL=c
//
// ONLY="2048,2048,2048,01 ..." restricts the shapes (m,k,n,transA transB). THREADS=2 runs both
// copies on 2 threads. Times are process CPU time at 1 thread (preemption does not count), wall
// time at more.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gemm.h"
#include "gemm_shapes.h"

#include "runtime.h"

// The second copy's entry points. Its types are the same structs compiled in namespace llmB, so
// llm's are passed to it by reinterpretation rather than declared twice.
namespace llmB {
struct GemmArgs;
struct GemmConfig;
void gemm(const GemmArgs& args);
void setThreads(int n);
const GemmConfig& gemmConfig();
}  // namespace llmB

// Process CPU time at 1 thread (preemption does not count); wall time with more threads, where
// CPU time would count the threads' waits for each other as work.
static double seconds(bool wall) {
  timespec t;
  clock_gettime(wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char** argv) {
  const int pairs = std::getenv("PAIRS") ? std::atoi(std::getenv("PAIRS")) : 21;
  std::string settings;
  for (int i = 1; i < argc; i++) {
    const char* eq = std::strchr(argv[i], '=');
    if (!eq) {
      std::fprintf(stderr, "gemm_ab: arguments are NAME=VALUE settings for the second copy, got '%s'\n", argv[i]);
      return 2;
    }
    setenv(std::string(argv[i], eq - argv[i]).c_str(), eq + 1, 1);
    settings += std::string(" ") + argv[i];
  }
  const llm::GemmConfig& b = reinterpret_cast<const llm::GemmConfig&>(llmB::gemmConfig());
  for (int i = 1; i < argc; i++) unsetenv(std::string(argv[i], std::strchr(argv[i], '=') - argv[i]).c_str());
  const llm::GemmConfig& a = llm::gemmConfig();
  const int threads = std::getenv("THREADS") ? std::max(1, std::atoi(std::getenv("THREADS"))) : 1;
  llm::setThreads(threads);
  llmB::setThreads(threads);
  std::printf("A = %s (mc %d kc %d nc %d); B = %s (mc %d kc %d nc %d) with%s\n", a.name, a.mc, a.kc, a.nc, b.name,
              b.mc, b.kc, b.nc, settings.empty() ? " nothing changed" : settings.c_str());
  std::printf("ratio = time B / time A (above 1: A is faster)\n");
  const char* only = std::getenv("ONLY");
  for (const BenchShape& s : benchShapes()) {
    const long m = s.m, k = s.k, n = s.n;
    const bool ta = s.transA, tb = s.transB;
    if (only && !std::strstr(only, s.spec().c_str())) continue;
    std::vector<float> a(m * k), b(k * n), ca(m * n), cb(m * n);
    for (long i = 0; i < m * k; i++) a[i] = static_cast<float>(std::rand() % 1000) / 1000 - 0.5f;
    for (long i = 0; i < k * n; i++) b[i] = static_cast<float>(std::rand() % 1000) / 1000 - 0.5f;
    const llm::GemmArgs ga{a.data(), b.data(), ca.data(), 1, m, k, n, ta, tb, 0, 0, 0, false};
    const llm::GemmArgs gb{a.data(), b.data(), cb.data(), 1, m, k, n, ta, tb, 0, 0, 0, false};
    const double flops = 2.0 * m * n * k;
    const long calls = std::max(1L, static_cast<long>(2e9 / flops));
    auto time = [&](bool first) {
      const double t0 = seconds(threads > 1);
      for (long i = 0; i < calls; i++) first ? llm::gemm(ga) : llmB::gemm(reinterpret_cast<const llmB::GemmArgs&>(gb));
      return seconds(threads > 1) - t0;
    };
    time(true);
    time(false);
    std::vector<double> ratio, gA, gB;
    for (int p = 0; p < pairs; p++) {
      const bool aFirst = p % 2 == 0;
      const double t1 = time(aFirst), t2 = time(!aFirst);
      const double tA = aFirst ? t1 : t2, tB = aFirst ? t2 : t1;
      ratio.push_back(tB / tA);
      gA.push_back(flops * calls / tA / 1e9);
      gB.push_back(flops * calls / tB / 1e9);
    }
    long differ = 0;
    for (long i = 0; i < m * n; i++) differ += ca[i] != cb[i];
    std::sort(ratio.begin(), ratio.end());
    std::sort(gA.begin(), gA.end());
    std::sort(gB.begin(), gB.end());
    std::printf("%5ld %5ld %5ld %s%s  A %5.1f GFLOPS  B %5.1f GFLOPS  ratio %.3f (quartiles %.3f-%.3f)%s\n", m, k, n,
                ta ? "A^T" : "A", tb ? " B^T" : " B", gA[pairs / 2], gB[pairs / 2], ratio[pairs / 2], ratio[pairs / 4],
                ratio[3 * pairs / 4], differ ? "  RESULTS DIFFER" : "");
  }
}
