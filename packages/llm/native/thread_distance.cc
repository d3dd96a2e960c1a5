// How far apart the cores of two worker threads are, measured as the one-way latency of a cache
// line passed between them. Cores that share a last-level cache pass it in tens of nanoseconds;
// cores on different dies (another CCD of an EPYC, another socket) in one or two hundred. The
// GEMM asks whether its threads may share packed blocks: on distant cores every read of the
// other thread's half of a block crosses the dies (docs/native-kernels.md). A virtual machine's
// vCPUs can move between the host's cores while it runs (seen here: 45 ns apart, then 230), so an
// answer older than a second is measured again: well under a millisecond while the threads are
// busy, about 10 ms after an idle spell on the VMs here (the time to wake the second vCPU).
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "runtime.h"

namespace llm {

namespace {

constexpr int kRounds = 200;  // round trips per batch
constexpr int kBatches = 5;   // the fastest batch counts: preemption only slows one down
constexpr double kStartSeconds = 0.05;  // for the second thread to start (created at first use)
constexpr double kBudgetSeconds = 0.005;
constexpr double kValidSeconds = 1.0;
constexpr double kDistantCoresNs = 100;  // cores in one die answer in tens of nanoseconds

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The one-way latency between OpenMP threads 0 and 1 in nanoseconds, or 0 when it cannot be
// measured (one thread only, inside another parallel region, or the second thread never ran
// within the budget).
double measure() {
  if (omp_in_parallel()) return 0;
  alignas(64) std::atomic<long> ball{0};
  alignas(64) std::atomic<bool> stop{false}, started{false};
  double best = 0;
  bool complete = true;
#pragma omp parallel num_threads(2)
  {
    if (omp_get_num_threads() < 2) {
      complete = false;
    } else if (omp_get_thread_num() == 1) {
      // Returns every odd ball as the next even one until told to stop.
      started.store(true, std::memory_order_release);
      for (long expect = 1; !stop.load(std::memory_order_acquire);) {
        if (ball.load(std::memory_order_acquire) == expect) {
          ball.store(expect + 1, std::memory_order_release);
          expect += 2;
        }
      }
    } else {
      const double startBy = seconds() + kStartSeconds;
      while (!started.load(std::memory_order_acquire) && complete)
        if (seconds() > startBy) complete = false;
      const double deadline = seconds() + kBudgetSeconds;
      long value = 0;
      for (int batch = 0; batch < kBatches && complete; batch++) {
        const double t0 = seconds();
        for (int r = 0; r < kRounds && complete; r++) {
          ball.store(++value, std::memory_order_release);
          for (unsigned spins = 1; ball.load(std::memory_order_acquire) != value + 1; spins++)
            if (spins % 4096 == 0 && seconds() > deadline) {
              complete = false;
              break;
            }
          value++;
        }
        const double oneWay = (seconds() - t0) / kRounds / 2 * 1e9;
        if (complete) best = batch == 0 ? oneWay : std::min(best, oneWay);
      }
      stop.store(true, std::memory_order_release);
    }
  }
  return complete ? best : 0;
}

}  // namespace

double workerLatencyNs() {
  // The last measurement and when it was taken; a failed one keeps the answer before it.
  static std::atomic<double> latest{0}, takenAt{-1};
  const double now = seconds();
  if (takenAt.load() >= 0 && now - takenAt.load() < kValidSeconds) return latest.load();
  takenAt.store(now);
  const double v = measure();
  if (v > 0) latest.store(v);
  return latest.load();
}

bool workersShareCache() {
  const char* env = std::getenv("LLM_SCRATCH_SHARED_CACHE");
  if (env && (!std::strcmp(env, "0") || !std::strcmp(env, "1"))) return env[0] == '1';
  const double ns = workerLatencyNs();
  // Unmeasured: assume the common case of cores on one die.
  return ns <= 0 || ns < kDistantCoresNs;
}

}  // namespace llm
