// The helper threads of the decode kernels (decode_pool.h says why they are not OpenMP's).
#include "decode_pool.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace llm {
namespace {

// Pauses a helper makes for the next product before it sleeps: 0.1 to 1 ms (a pause is 10 to 140
// cycles, by CPU), far longer than the gap between two products of a token, shorter than a time
// slice.
constexpr int kSpins = 20000;
constexpr uint64_t kClosed = 0xffffffffu;
constexpr int kWakeAll = 1 << 30;

inline void relax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

struct Pool {
  // Serialises callers: one product at a time uses the helpers.
  std::mutex busy;
  // The current product. Its number is in `generation` and in the high half of `next`, whose low
  // half is the next unit to take: a helper that read an older product's number fails to take a
  // unit of the new one, because its compare-and-swap names the old number. A finished product's
  // `next` is closed (low half all ones) before the fields change, and the fields are stored with
  // release and loaded with acquire: a helper that sees a field of the next product sees its own
  // product closed, and takes nothing with fields that do not belong to it.
  std::atomic<uint32_t> generation{0};
  std::atomic<uint64_t> next{0};
  std::atomic<long> done{0};
  std::atomic<long> count{0};
  std::atomic<int> wanted{0};
  std::atomic<void (*)(const void*, long)> body{nullptr};
  std::atomic<const void*> ctx{nullptr};
  std::atomic<int> sleepers{0};
  int helpers = 0;

  // Takes the next unit of product g; -1 when there is none (or g is no longer the product).
  long take(uint32_t g, long n) {
    uint64_t v = next.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<uint32_t>(v >> 32) != g || static_cast<long>(v & 0xffffffffu) >= n) return -1;
      if (next.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire))
        return static_cast<long>(v & 0xffffffffu);
    }
  }

  void wait(uint32_t seen) {
    for (int s = 0; s < kSpins; s++) {
      if (generation.load(std::memory_order_acquire) != seen) return;
      relax();
    }
#if defined(__linux__)
    sleepers.fetch_add(1, std::memory_order_seq_cst);
    while (generation.load(std::memory_order_seq_cst) == seen)
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&generation), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
    sleepers.fetch_sub(1, std::memory_order_seq_cst);
#else
    while (generation.load(std::memory_order_acquire) == seen) std::this_thread::yield();
#endif
  }

  void helper(int index) {
    uint32_t seen = 0;
    for (;;) {
      wait(seen);
      const uint32_t g = generation.load(std::memory_order_acquire);
      seen = g;
      if (index >= wanted.load(std::memory_order_relaxed)) continue;
      const long n = count.load(std::memory_order_acquire);
      auto* f = body.load(std::memory_order_acquire);
      const void* c = ctx.load(std::memory_order_acquire);
      for (long i; (i = take(g, n)) >= 0;) {
        f(c, i);
        done.fetch_add(1, std::memory_order_release);
      }
    }
  }

  void run(long n, int threads, void (*f)(const void*, long), const void* c) {
    while (helpers < threads - 1) {
      // Kept for the life of the process, never joined: they sleep when there is no work.
      std::thread([this, i = helpers] { helper(i); }).detach();
      helpers++;
    }
    const uint32_t g = generation.load(std::memory_order_relaxed) + 1;
    count.store(n, std::memory_order_release);
    body.store(f, std::memory_order_release);
    ctx.store(c, std::memory_order_release);
    wanted.store(threads - 1, std::memory_order_relaxed);
    done.store(0, std::memory_order_relaxed);
    next.store(static_cast<uint64_t>(g) << 32, std::memory_order_release);
    generation.store(g, std::memory_order_seq_cst);
#if defined(__linux__)
    if (sleepers.load(std::memory_order_seq_cst) > 0)
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&generation), FUTEX_WAKE_PRIVATE, kWakeAll, nullptr, nullptr,
              0);
#endif
    long mine = 0;
    for (long i; (i = take(g, n)) >= 0; mine++) f(c, i);
    // Only units a helper has taken remain: they are running now.
    while (done.load(std::memory_order_acquire) + mine < n) relax();
    next.store((static_cast<uint64_t>(g) << 32) | kClosed, std::memory_order_release);
  }
};

Pool& pool() {
  // Never destroyed: its helpers outlive static destruction at exit.
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

void parallelUnits(long count, int threads, void (*body)(const void* ctx, long i), const void* ctx) {
  if (threads > 1 && count > 1 && static_cast<uint64_t>(count) < kClosed) {
    Pool& p = pool();
    std::unique_lock<std::mutex> lock(p.busy, std::try_to_lock);
    if (lock.owns_lock()) {
      p.run(count, threads, body, ctx);
      return;
    }
  }
  for (long i = 0; i < count; i++) body(ctx, i);
}

}  // namespace llm
