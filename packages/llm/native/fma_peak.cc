// The FMA-peak probe. Each thread keeps more independent accumulator chains than FMA latency x FMA
// ports (4-5 cycles x 2 ports on Zen and Intel cores), so the chains never wait on each other and
// the loop runs at the issue rate of the FMA units; nothing touches memory inside the loop.
#include "fma_peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "runtime.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace llm {
namespace {

constexpr int kChains = 12;
constexpr long kInner = 4096;

// Each returns the FLOPs it did; `sink` keeps the chains alive (a value never used could be elided).
#if defined(__x86_64__)
__attribute__((target("avx512f"))) double runAvx512(long rounds, float* sink) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm512_set1_ps(1.0f + c * 1e-3f);
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  for (long r = 0; r < rounds; r++)
    for (long i = 0; i < kInner; i++)
      for (int c = 0; c < kChains; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  __m512 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm512_add_ps(s, acc[c]);
  float lanes[16];
  _mm512_storeu_ps(lanes, s);
  for (float x : lanes) *sink += x;
  return 2.0 * 16 * kChains * kInner * static_cast<double>(rounds);
}

__attribute__((target("avx2,fma"))) double runAvx2(long rounds, float* sink) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm256_set1_ps(1.0f + c * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  for (long r = 0; r < rounds; r++)
    for (long i = 0; i < kInner; i++)
      for (int c = 0; c < kChains; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm256_add_ps(s, acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  for (float x : lanes) *sink += x;
  return 2.0 * 8 * kChains * kInner * static_cast<double>(rounds);
}
#endif

double runScalar(long rounds, float* sink) {
  float acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = 1.0f + c * 1e-3f;
  for (long r = 0; r < rounds; r++)
    for (long i = 0; i < kInner; i++)
      for (int c = 0; c < kChains; c++) acc[c] = acc[c] * 0.999999f + 1e-7f;
  for (int c = 0; c < kChains; c++) *sink += acc[c];
  return 2.0 * kChains * kInner * static_cast<double>(rounds);
}

double run(long rounds, float* sink) {
#if defined(__x86_64__)
  if (isa() == Isa::Avx512) return runAvx512(rounds, sink);
  if (isa() == Isa::Avx2) return runAvx2(rounds, sink);
#endif
  return runScalar(rounds, sink);
}

}  // namespace

double fmaPeak(int nt, double ms) {
  using Clock = std::chrono::steady_clock;
  const double window = ms / 5 / 1000;
  double best = 0;
  float sink = 0;
  for (int w = 0; w < 5; w++) {
    double flops = 0;
    const auto t0 = Clock::now();
    // Every thread runs until the window closes; the rate is all their FLOPs over the region's time,
    // so a thread the OS held back lowers it, as it would lower a GEMM.
#pragma omp parallel num_threads(nt) reduction(+ : flops, sink)
    {
      while (std::chrono::duration<double>(Clock::now() - t0).count() < window) flops += run(16, &sink);
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s > 0) best = std::max(best, flops / s);
  }
  // sink is finite for any run length (the chains converge to 0.1); a NaN would mean a broken loop.
  return sink == sink ? best : -1;
}

}  // namespace llm
