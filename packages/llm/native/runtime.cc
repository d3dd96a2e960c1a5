#include "runtime.h"

#include "kernels.h"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace llm {

static Isa detectIsa() {
  Isa best = Isa::Scalar;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) best = Isa::Avx512;
#endif
  const char* env = std::getenv("LLM_SCRATCH_ISA");
  if (env) {
    // Only ever downgrade: asking for an ISA the CPU lacks would crash with SIGILL.
    Isa wanted = best;
    if (!std::strcmp(env, "scalar")) wanted = Isa::Scalar;
    if (!std::strcmp(env, "avx2")) wanted = Isa::Avx2;
    if (!std::strcmp(env, "avx512")) wanted = Isa::Avx512;
    if (static_cast<int>(wanted) < static_cast<int>(best)) best = wanted;
  }
  return best;
}

Isa isa() {
  static const Isa chosen = detectIsa();
  return chosen;
}

const char* isaName(Isa i) {
  switch (i) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2+fma";
    default:
      return "scalar";
  }
}

// Physical cores among the CPUs this process may run on: SMT siblings share one core's FMA
// units, so a second thread per core only adds contention to a compute-bound GEMM.
static int physicalCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int allowed = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) allowed = CPU_COUNT(&set);
  if (allowed <= 0) allowed = omp_get_num_procs();
  std::set<std::pair<std::string, std::string>> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (!CPU_ISSET(cpu, &set)) continue;
    std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    std::string p, c;
    if (!(pkg >> p) || !(core >> c)) return allowed;
    cores.insert({p, c});
  }
  return cores.empty() ? allowed : static_cast<int>(cores.size());
}

static int initialThreads() {
  const char* env = std::getenv("LLM_SCRATCH_THREADS");
  if (env) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  int n = physicalCores();
  return n > 0 ? n : 1;
}

static int& threadCount() {
  static int n = initialThreads();
  return n;
}

int threads() { return threadCount(); }

void setThreads(int n) { threadCount() = n > 0 ? n : initialThreads(); }

int threadsFor(double work) {
  if (work < kParallelElements) return 1;
  return threads();
}

int threadsFor(double work, long tasks) {
  return static_cast<int>(std::max<long>(1, std::min<long>(threadsFor(work), tasks)));
}

}  // namespace llm
