// The decode kernels. Decoding a token reads every weight once and does two flops per weight, so
// it runs at the speed of memory: gemv streams each weight row in its stored (n x k) layout, no
// packing, contiguous rows per thread, and applies bias, GELU and the residual while the sum is
// still in a register. attendCached does scores, softmax and the weighted sum of one query row per
// head without temporaries. bfloat16 weights widen in registers (a shift), or on CPUs with
// AVX-512 BF16 go straight into vdpbf16ps, with the activations split into two bf16 halves so they
// keep float32 accuracy (hi + lo carries 16 bits of mantissa).
//
// Compiled three times: llm::portable here, llm::avx2 by decode_avx2.cc, llm::avx512 by
// decode_avx512.cc (LLM_DECODE_ISA says which intrinsics each may use).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bf16.h"
#include "decode_pool.h"
#include "fastmath.h"
#include "kernels.h"

#ifndef LLM_KERNEL_NS
#define LLM_KERNEL_NS portable
#define LLM_DECODE_ISA 0
#endif

namespace llm::LLM_KERNEL_NS {
namespace {

// x rows dotted with one weight row per pass: the row (3 KiB for k = 768) is read from memory once
// and from L1 for the other rows. Two on AVX2: 4 accumulators a row must fit 16 registers.
constexpr int kRowsPerPass = LLM_DECODE_ISA == 1 ? 2 : 4;
// Output rows per block, and blocks per unit of work a thread takes (parallelFor). Taken
// dynamically: on a shared machine one of our threads is often descheduled for a time slice, and
// with a static split every product would wait for it; a unit of 8 x 16 rows (384 KiB of f32
// weights at k = 768, 192 KiB of bf16) is one long read of 4 streams (the spaced tiles). Units of
// 4 x 16 rows decoded gpt2-small 2-4% slower in f32 and bf16 (each stream starts cold once per
// unit), 16 x 16 slower again (the tail of each product); Zen 2, 2 threads, interleaved in one process.
constexpr long kOutBlock = 16;
constexpr long kChunkBlocks = 8;
// The last kTailBlocks blocks of a parallel region are units of one block each: when the counter
// runs out, one thread waits for the other's last unit, half a unit on average, and a region ends
// every 0.1-0.3 ms in a decode. Fine units only at the end keep the long reads of the bulk
// (gpt2-small f32 decode steps 1-2.5% faster in 4 of 6 interleaved runs; Zen 2, 2 threads).
constexpr long kTailBlocks = 8;

#if LLM_DECODE_ISA == 0
// dots[r] = x[r] . w over k terms, r < R.
template <int R, class W>
inline void dotRows(const float* x, long k, const W* w, float* dots) {
  for (int r = 0; r < R; r++) {
    const float* xr = x + r * k;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (long q = 0; q < k; q++) s += xr[q] * widenBf16(w[q]);
    dots[r] = s;
  }
}
#elif LLM_DECODE_ISA == 1
using Vec = __m256;
constexpr long kWidth = 8;
inline Vec loadW(const float* p) { return _mm256_loadu_ps(p); }
inline Vec loadW(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
inline Vec loadX(const float* p) { return _mm256_loadu_ps(p); }
// 2 * kWidth bf16 weights as kWidth 32-bit lanes: the low half of a lane is the even weight, the
// high half the odd one. Shifting the low half up, or masking the low half away, gives each as a
// float32 with one instruction.
using VecI = __m256i;
inline VecI loadPairs(const uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline Vec evenOf(VecI v) { return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)); }
inline Vec oddOf(VecI v) { return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(-65536))); }
inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec set1(float v) { return _mm256_set1_ps(v); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline float hsum(Vec v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#else
using Vec = __m512;
constexpr long kWidth = 16;
inline Vec loadW(const float* p) { return _mm512_loadu_ps(p); }
inline Vec loadW(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline Vec loadX(const float* p) { return _mm512_loadu_ps(p); }
using VecI = __m512i;
inline VecI loadPairs(const uint16_t* p) { return _mm512_loadu_si512(p); }
inline Vec evenOf(VecI v) { return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)); }
inline Vec oddOf(VecI v) { return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(-65536))); }
inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec set1(float v) { return _mm512_set1_ps(v); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
// Not _mm512_reduce_add_ps: GCC 12's header warns of an uninitialised register in it.
inline float hsum(Vec v) {
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

#if LLM_DECODE_ISA != 0
// dots[r] = x[r] . w over k terms, r < R. Each row keeps four accumulators in flight (the FMA
// latency would otherwise cap a core below its share of the bandwidth), and every row sums in the
// same order whatever R is: a row's result does not depend on the rows decoded beside it (a batch
// gives each sequence what it gets alone), nor on the threads (a row is one thread's).
template <int R, class W>
inline void dotRows(const float* x, long k, const W* w, float* dots) {
  Vec a[R][4];
  for (int r = 0; r < R; r++) a[r][0] = a[r][1] = a[r][2] = a[r][3] = zero();
  long q = 0;
  for (; q + 4 * kWidth <= k; q += 4 * kWidth) {
    const Vec w0 = loadW(w + q), w1 = loadW(w + q + kWidth);
    const Vec w2 = loadW(w + q + 2 * kWidth), w3 = loadW(w + q + 3 * kWidth);
    for (int r = 0; r < R; r++) {
      const float* xr = x + r * k + q;
      a[r][0] = fma(loadX(xr), w0, a[r][0]);
      a[r][1] = fma(loadX(xr + kWidth), w1, a[r][1]);
      a[r][2] = fma(loadX(xr + 2 * kWidth), w2, a[r][2]);
      a[r][3] = fma(loadX(xr + 3 * kWidth), w3, a[r][3]);
    }
  }
  for (; q + kWidth <= k; q += kWidth) {
    const Vec w0 = loadW(w + q);
    for (int r = 0; r < R; r++) a[r][0] = fma(loadX(x + r * k + q), w0, a[r][0]);
  }
  for (int r = 0; r < R; r++) {
    float s = hsum(add(add(a[r][0], a[r][1]), add(a[r][2], a[r][3])));
    for (long t = q; t < k; t++) s = std::fma(x[r * k + t], widenBf16(w[t]), s);
    dots[r] = s;
  }
}
#endif

#if LLM_DECODE_ISA != 0
// f32 weights, several sequences: R activation rows against N weight rows at once, one accumulator
// per pair, so each k-step loads R + N vectors for R x N FMAs (dotRows loads a row of x per FMA,
// which made a batch of 8 bound by the load ports at a fifth of the FMA peak). A pair's sum runs
// over k in the same order whatever R and N are: a row's bits do not depend on the rows beside it.
// Two tile shapes, rows a pass x weight rows a tile: AVX2's 16 registers hold 3 x 4 accumulators
// with 3 activations and a weight, or 4 x 3 with 3 weights and an activation. 4 x 3 takes a batch
// of 8 in two full passes where 3 x 4 took 3 + 3 + 2, whose last pass spilled (a decode step of 8
// rows of gpt2-small: 25.0-28.0 ms against 28.3-30.9, Zen 2, 2 threads, builds alternated); one to
// three rows keep 3 x 4, whose four weight streams a thread reads faster. AVX-512 has the registers
// for 4 x 4.
constexpr int kSmallTileRows = LLM_DECODE_ISA == 1 ? 3 : 4;
constexpr int kSmallTileCols = 4;
constexpr int kLargeTileRows = 4;
constexpr int kLargeTileCols = LLM_DECODE_ISA == 1 ? 3 : 4;
constexpr int kMaxTile = 4;

// Prefetches of the next tile's weight rows (pf, ws apart; those in pfMask, a line each 64 bytes
// of w) ride along the passes that read this tile from L1 (see passPrefetch).
inline void prefetchLine(const void* pf, long ws, unsigned pfMask, int n) {
  for (int c = 0; c < n; c++)
    if (pfMask >> c & 1) _mm_prefetch(static_cast<const char*>(pf) + c * ws, _MM_HINT_T0);
}

// The operands of the smaller side are loaded first and held (R activations, or N weights), those
// of the other side one at a time, so that R x N + min(R, N) + 1 registers suffice. Out of line:
// inlined into the unit loops, GCC kept a weight in memory and reloaded it per FMA (4 x 3) and the
// bf16 tile's weights went through the stack; alone, each gets its registers (one row of
// gpt2-small's products 4% faster, 8 rows 3%, the bf16 tile 30% faster from cache; Zen 2).
template <int R, int N>
__attribute__((noinline)) void dotTile(const float* x, long k, const float* w, long ws, float dots[][kMaxTile],
                                       const float* pf, unsigned pfMask) {
  Vec a[R][N];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < N; c++) a[r][c] = zero();
  long q = 0;
  for (; q + kWidth <= k; q += kWidth) {
    if (pfMask && q % 16 == 0) prefetchLine(pf + q, ws * 4, pfMask, N);
    if constexpr (R <= N) {
      Vec xv[R];
      for (int r = 0; r < R; r++) xv[r] = loadX(x + r * k + q);
      for (int c = 0; c < N; c++) {
        const Vec wv = loadW(w + c * ws + q);
        for (int r = 0; r < R; r++) a[r][c] = fma(xv[r], wv, a[r][c]);
      }
    } else {
      Vec wv[N];
      for (int c = 0; c < N; c++) wv[c] = loadW(w + c * ws + q);
      for (int r = 0; r < R; r++) {
        const Vec xv = loadX(x + r * k + q);
        for (int c = 0; c < N; c++) a[r][c] = fma(xv, wv[c], a[r][c]);
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < N; c++) {
      float s = hsum(a[r][c]);
      for (long t = q; t < k; t++) s = std::fma(x[r * k + t], w[c * ws + t], s);
      dots[r][c] = s;
    }
}

#endif

#if LLM_DECODE_ISA != 0
// bf16 weights widened in registers: each 2 * kWidth block of x is split once per call into its
// kWidth even-index values, then its kWidth odd ones (xs, row stride kv = k rounded down to whole
// blocks), to meet evenOf and oddOf of one weight load. The tail past kv is summed from x.
void splitPairs(const float* x, long rows, long k, long kv, float* xs) {
  for (long r = 0; r < rows; r++)
    for (long b = 0; b < kv; b += 2 * kWidth)
      for (long i = 0; i < kWidth; i++) {
        xs[r * kv + b + i] = x[r * k + b + 2 * i];
        xs[r * kv + b + kWidth + i] = x[r * k + b + 2 * i + 1];
      }
}

// R activation rows against N bf16 weight rows (ws apart), as dotTile does with float32 weights:
// each step of 2 * kWidth weights per row is one load, widened by evenOf and oddOf into two vectors
// that meet the row's split even and odd halves, each pair with its own even and odd accumulator.
// One weight row at a time (the first version) read bf16 from memory at 75-80% of the float32
// kernel's GB/s; N rows give 2N FMA chains on N times the bytes. A pair sums in the same order
// whatever R, N and ws are: a row's bits do not depend on its neighbours.
// AVX2: 1 x 4 (8 accumulators, 2 activation vectors, the load and its two halves); AVX-512: 2 x 4.
constexpr int kPairTileRows = LLM_DECODE_ISA == 1 ? 1 : 2;
constexpr int kPairTileCols = 4;

template <int R, int N>
__attribute__((noinline)) void dotTilePairs(const float* xs, long kv, const float* x, long k, const uint16_t* w,
                                            long ws, float dots[][kPairTileCols], const uint16_t* pf,
                                            unsigned pfMask) {
  constexpr long B = 2 * kWidth;
  Vec ae[R][N], ao[R][N];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < N; c++) ae[r][c] = ao[r][c] = zero();
  for (long q = 0; q < kv; q += B) {
    if (pfMask && q % 32 == 0) prefetchLine(pf + q, ws * 2, pfMask, N);
    Vec xe[R], xo[R];
    for (int r = 0; r < R; r++) {
      xe[r] = loadX(xs + r * kv + q);
      xo[r] = loadX(xs + r * kv + q + kWidth);
    }
    for (int c = 0; c < N; c++) {
      const VecI v = loadPairs(w + c * ws + q);
      const Vec e = evenOf(v), o = oddOf(v);
      for (int r = 0; r < R; r++) {
        ae[r][c] = fma(xe[r], e, ae[r][c]);
        ao[r][c] = fma(xo[r], o, ao[r][c]);
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < N; c++) {
      float s = hsum(add(ae[r][c], ao[r][c]));
      for (long t = kv; t < k; t++) s = std::fma(x[r * k + t], widenBf16(w[c * ws + t]), s);
      dots[r][c] = s;
    }
}
#endif

#if LLM_DECODE_ISA == 2
// vdpbf16ps on bf16 weights: x[r] was split into three bf16 parts, hi + mid + lo (xs: k each per
// row), which hold all 24 bits of a float32, so activations keep float32 accuracy (two parts, 16
// bits, missed the float32 tolerance by up to 1.17x at k = 800 on a Xeon); each 32-wide step does
// three dot-product instructions on one weight load. N weight rows (w + c * ws) at once, dots[r *
// N + c]; the caller spaces them a quarter of its unit apart, so that a thread reads four streams
// (one row at a time: 36-48% of the bandwidth limit on a Zen 5; four adjacent rows the same; four
// spaced rows 44-58%). A pair's sum is the same whatever N.
template <int N>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) inline void dotRowsDpbf16(
    const uint16_t* xs, const float* x, long rows, long k, const uint16_t* w, long ws, float* dots) {
  for (long r = 0; r < rows; r++) {
    const uint16_t* hi = xs + 3 * r * k;
    const uint16_t* mid = hi + k;
    const uint16_t* lo = mid + k;
    __m512 a0[N], a1[N], a2[N];
    for (int c = 0; c < N; c++) a0[c] = a1[c] = a2[c] = _mm512_setzero_ps();
    long q = 0;
    for (; q + 32 <= k; q += 32) {
      const __m512bh h = (__m512bh)_mm512_loadu_si512(hi + q);
      const __m512bh m = (__m512bh)_mm512_loadu_si512(mid + q);
      const __m512bh l = (__m512bh)_mm512_loadu_si512(lo + q);
      for (int c = 0; c < N; c++) {
        const __m512bh wv = (__m512bh)_mm512_loadu_si512(w + c * ws + q);
        a0[c] = _mm512_dpbf16_ps(a0[c], h, wv);
        a1[c] = _mm512_dpbf16_ps(a1[c], m, wv);
        a2[c] = _mm512_dpbf16_ps(a2[c], l, wv);
      }
    }
    for (int c = 0; c < N; c++) {
      float s = hsum(_mm512_add_ps(a0[c], _mm512_add_ps(a1[c], a2[c])));
      for (long t = q; t < k; t++) s = std::fma(x[r * k + t], widenBf16(w[c * ws + t]), s);
      dots[r * N + c] = s;
    }
  }
}

// x (rows x k) -> per row, k bf16 of hi = round(x), k of mid = round(x - hi), k of
// lo = round(x - hi - mid) (each subtraction exact in float32).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void splitBf16(const float* x, long rows, long k,
                                                                               uint16_t* xs) {
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * k;
    uint16_t* parts[3] = {xs + 3 * r * k, xs + 3 * r * k + k, xs + 3 * r * k + 2 * k};
    long q = 0;
    for (; q + 32 <= k; q += 32) {
      __m512 x0 = _mm512_loadu_ps(xr + q), x1 = _mm512_loadu_ps(xr + q + 16);
      for (uint16_t* part : parts) {
        const __m512i b = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
        _mm512_storeu_si512(part + q, b);
        // The rounded part back in float32, to take the remainder exactly.
        x0 = _mm512_sub_ps(x0, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(b)), 16)));
        x1 = _mm512_sub_ps(
            x1, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(b, 1)), 16)));
      }
    }
    // The tail is summed in float32 by dotRowsDpbf16 from x itself.
    for (; q < k; q++) parts[0][q] = parts[1][q] = parts[2][q] = 0;
  }
}

bool useDpbf16() {
  static const bool yes = hasAvx512Bf16();
  return yes;
}
#endif

// Kept out of line: inlined into each gemvPass<R>, GCC compiled it differently per R on AVX-512
// (a row's bits then depended on the rows beside it, seen on a Xeon); one copy serves every R.
__attribute__((noinline)) float epilogue(const GemvArgs& p, long r, long j, float dot) {
  float v = p.bias ? dot + p.bias[j] : dot;
  if (p.gelu) v = geluF(v);
  return p.residual ? v + p.residual[r * p.n + j] : v;
}

template <int R, class W>
inline void gemvPass(const GemvArgs& p, const W* w, long r0, long j0, long j1) {
  const float* x = p.x + r0 * p.k;
  float dots[R];
  for (long j = j0; j < j1; j++) {
    dotRows<R>(x, p.k, w + j * p.k, dots);
    for (int r = 0; r < R; r++) p.out[(r0 + r) * p.n + j] = epilogue(p, r0 + r, j, dots[r]);
  }
}

template <class W>
void gemvRange(const GemvArgs& p, const W* w, long j0, long j1) {
  long r0 = 0;
  for (; r0 + kRowsPerPass <= p.rows; r0 += kRowsPerPass) gemvPass<kRowsPerPass>(p, w, r0, j0, j1);
  switch (p.rows - r0) {
    case 3:
      gemvPass<3>(p, w, r0, j0, j1);
      break;
    case 2:
      gemvPass<2>(p, w, r0, j0, j1);
      break;
    case 1:
      gemvPass<1>(p, w, r0, j0, j1);
      break;
    default:
      break;
  }
}

#if LLM_DECODE_ISA != 0
// The dot products of one unit of work (output columns j0 .. j0 + len, every row), held until the
// unit is done and then finished a row at a time by epilogueRow: its bias, GELU and residual run as
// loops the compiler vectorizes, where a call per output (epilogue) cost the batched f32 product 12%
// with a bias and 40% with GELU (Zen 2, 8 rows). Whatever the rows, an output is finished by the
// same instructions at the same place in its unit, so its bits do not depend on the rows beside it.
// Each row's dots start on a 64-byte boundary (stride: len rounded up to 16 floats), so that the
// vectorized loops split every row the same way, whichever row it is.
struct UnitDots {
  float* d;
  long j0, len, stride;
  float& at(long r, long j) const { return d[r * stride + (j - j0)]; }
};

__attribute__((noinline)) void epilogueRow(const GemvArgs& p, long r, const UnitDots& u) {
  float* v = u.d + r * u.stride;
  const long len = u.len;
  if (p.bias) {
    const float* b = p.bias + u.j0;
    for (long i = 0; i < len; i++) v[i] += b[i];
  }
  if (p.gelu)
    for (long i = 0; i < len; i++) v[i] = geluF(v[i]);
  float* out = p.out + r * p.n + u.j0;
  if (p.residual) {
    const float* res = p.residual + r * p.n + u.j0;  // may be out itself
    for (long i = 0; i < len; i++) out[i] = v[i] + res[i];
  } else {
    std::memcpy(out, v, len * sizeof(float));
  }
}

// A tile's passes after the first read its weight rows from L1 and leave the memory idle: they
// prefetch the next tile's rows instead (pf: where they start), the rows shared out among them, so
// that the next first pass finds them in cache. Without, 8 rows of gpt2-small decoded a step in
// 34.6-35.9 ms; with, 31.3-33.4 (Zen 2, 2 threads, alternating in one process).
inline unsigned passPrefetch(long pass, long passes, int n) {
  if (pass == 0) return 0;
  unsigned mask = 0;
  for (int c = 0; c < n; c++)
    if (c % (passes - 1) == pass - 1) mask |= 1u << c;
  return mask;
}

template <int R, int N>
inline void tilePassPairs(const GemvArgs& p, const float* xs, long kv, long r0, long j, long js, const UnitDots& u,
                          const uint16_t* pf, unsigned pfMask) {
  const uint16_t* w = static_cast<const uint16_t*>(p.weight) + j * p.k;
  float dots[kPairTileRows][kPairTileCols];
  dotTilePairs<R, N>(xs + r0 * kv, kv, p.x + r0 * p.k, p.k, w, js * p.k, dots, pf, pfMask);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < N; c++) u.at(r0 + r, j + c * js) = dots[r][c];
}

// Output columns j, j + js, ..., N of them; next: whether the tile j + 1 (js apart) follows.
template <int N>
inline void tileColumnsPairs(const GemvArgs& p, const float* xs, long kv, long j, long js, const UnitDots& u,
                             bool next) {
  const long passes = (p.rows + kPairTileRows - 1) / kPairTileRows;
  const uint16_t* pf = next && passes > 1 ? static_cast<const uint16_t*>(p.weight) + (j + 1) * p.k : nullptr;
  long r0 = 0, pass = 0;
  for (; r0 + kPairTileRows <= p.rows; r0 += kPairTileRows, pass++)
    tilePassPairs<kPairTileRows, N>(p, xs, kv, r0, j, js, u, pf, pf ? passPrefetch(pass, passes, N) : 0);
  for (; r0 < p.rows; r0++, pass++)
    tilePassPairs<1, N>(p, xs, kv, r0, j, js, u, pf, pf ? passPrefetch(pass, passes, N) : 0);
}

// The N rows of a tile are taken len / N apart, not side by side: bf16 rows at k = 768 are 1.5 KiB
// long, and 4 adjacent rows read as 4 interleaved streams inside the same 4 KiB pages, which the
// hardware prefetcher followed badly (Zen 2, one thread, 768 x 768 from memory: 9.6 GB/s against
// 13.9 one row at a time); rows a quarter of a unit apart (24 KiB then, with units of 64 rows;
// 48 KiB now) are 4 streams in pages of their own, and read at 21 GB/s, more than the float32
// kernel's 17.7. The columns past whole strides go one at a time, as gemvRangeTiledAs takes them.
void gemvRangePairs(const GemvArgs& p, const float* xs, long kv, const UnitDots& u) {
  const long j0 = u.j0, j1 = u.j0 + u.len, js = u.len / kPairTileCols;
  for (long j = j0; j < j0 + js; j++) tileColumnsPairs<kPairTileCols>(p, xs, kv, j, js, u, j + 1 < j0 + js);
  for (long j = j0 + kPairTileCols * js; j < j1; j++) tileColumnsPairs<1>(p, xs, kv, j, 1, u, false);
}

template <int R, int N>
inline void tilePass(const GemvArgs& p, const float* w, long r0, long j, long js, const UnitDots& u, const float* pf,
                     unsigned pfMask) {
  float dots[kMaxTile][kMaxTile];
  dotTile<R, N>(p.x + r0 * p.k, p.k, w + j * p.k, js * p.k, dots, pf, pfMask);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < N; c++) u.at(r0 + r, j + c * js) = dots[r][c];
}

// N weight rows (j, j + js, ...) against every activation row, TR at a time: the N rows stay in L1
// while the passes over the activations reuse them; next: whether the tile j + 1 follows.
template <int TR, int N>
inline void tileColumns(const GemvArgs& p, const float* w, long j, long js, const UnitDots& u, bool next) {
  const long passes = (p.rows + TR - 1) / TR;
  const float* pf = next && passes > 1 ? w + (j + 1) * p.k : nullptr;
  auto mask = [&](long pass) { return pf ? passPrefetch(pass, passes, N) : 0u; };
  long r0 = 0, pass = 0;
  for (; r0 + TR <= p.rows; r0 += TR, pass++) tilePass<TR, N>(p, w, r0, j, js, u, pf, mask(pass));
  switch (p.rows - r0) {
    case 3:
      if constexpr (TR > 3) tilePass<3, N>(p, w, r0, j, js, u, pf, mask(pass));
      break;
    case 2:
      tilePass<2, N>(p, w, r0, j, js, u, pf, mask(pass));
      break;
    case 1:
      tilePass<1, N>(p, w, r0, j, js, u, pf, mask(pass));
      break;
    default:
      break;
  }
}

// A tile's rows a TC-th of the unit apart, as gemvRangePairs takes them: 4 adjacent f32 rows at
// k = 768 are 2 streams a 4 KiB page, which one Zen 2 thread read from memory at 17-18 GB/s; spaced,
// 23-26 GB/s. The columns past TC whole strides go one at a time.
template <int TR, int TC>
void gemvRangeTiledAs(const GemvArgs& p, const float* w, const UnitDots& u) {
  const long j0 = u.j0, j1 = u.j0 + u.len, js = u.len / TC;
  for (long j = j0; j < j0 + js; j++) tileColumns<TR, TC>(p, w, j, js, u, j + 1 < j0 + js);
  for (long j = j0 + TC * js; j < j1; j++) tileColumns<TR, 1>(p, w, j, 1, u, false);
}

void gemvRangeTiled(const GemvArgs& p, const float* w, const UnitDots& u) {
  if (p.rows >= kLargeTileRows)
    gemvRangeTiledAs<kLargeTileRows, kLargeTileCols>(p, w, u);
  else
    gemvRangeTiledAs<kSmallTileRows, kSmallTileCols>(p, w, u);
}

// The unit's dots (rows x len), in a buffer of the calling thread kept between calls.
UnitDots unitDots(const GemvArgs& p, long j0, long j1) {
  static thread_local std::vector<float> scratch;
  const long stride = (j1 - j0 + 15) & ~15L;
  const size_t need = static_cast<size_t>(p.rows * stride + 16);
  if (scratch.size() < need) scratch.resize(need);
  const uintptr_t base = reinterpret_cast<uintptr_t>(scratch.data());
  return {reinterpret_cast<float*>((base + 63) & ~uintptr_t{63}), j0, j1 - j0, stride};
}

void finishUnit(const GemvArgs& p, const UnitDots& u) {
  for (long r = 0; r < p.rows; r++) epilogueRow(p, r, u);
}
#endif

}  // namespace

void gemvMany(const GemvArgs* ps, int count) {
  // Units of kChunkBlocks blocks of every product, numbered one product after the other: the
  // threads take them from one counter, so q, k and v cost one hand-off and one tail, not three.
  // The last product's final kTailBlocks blocks (tailBlock on) are units of a block each.
  long firstUnit[kMaxGemvProducts + 1] = {0};
  long tailBlock = 0, tailUnit = 0;
  double work = 0;
  for (int i = 0; i < count; i++) {
    const long blocks = (ps[i].n + kOutBlock - 1) / kOutBlock;
    const long bulk = i == count - 1 ? std::max(0L, blocks - kTailBlocks) : blocks;
    firstUnit[i + 1] = firstUnit[i] + (bulk + kChunkBlocks - 1) / kChunkBlocks + (blocks - bulk);
    if (i == count - 1) {
      tailBlock = bulk;
      tailUnit = firstUnit[i + 1] - (blocks - bulk);
    }
    work += static_cast<double>(ps[i].n) * ps[i].k;
  }
  const long units = firstUnit[count];
  const int nt = threadsFor(work, units);
  // Output rows [j0, j1) of the product of unit u.
  auto unitRange = [&](long u, int* which, long* j0, long* j1) {
    int i = 0;
    while (u >= firstUnit[i + 1]) i++;
    *which = i;
    long b0, b1;
    if (u >= tailUnit) {
      b0 = tailBlock + (u - tailUnit);
      b1 = b0 + 1;
    } else {
      b0 = (u - firstUnit[i]) * kChunkBlocks;
      b1 = b0 + kChunkBlocks;
      if (i == count - 1) b1 = std::min(b1, tailBlock);
    }
    *j0 = b0 * kOutBlock;
    *j1 = std::min(ps[i].n, b1 * kOutBlock);
  };
  [[maybe_unused]] const GemvArgs& p0 = ps[0];
#if LLM_DECODE_ISA == 2
  if (p0.bf16 && useDpbf16() && p0.k >= 32) {
    // Shared and read-only inside the region; kept between calls (decoding allocates nothing per
    // token), on the calling thread.
    static thread_local std::vector<uint16_t> xs;
    if (xs.size() < static_cast<size_t>(3 * p0.rows * p0.k)) xs.resize(static_cast<size_t>(3 * p0.rows * p0.k));
    splitBf16(p0.x, p0.rows, p0.k, xs.data());
    const uint16_t* split = xs.data();
    parallelFor(units, nt, [&](long u) {
      int i;
      long j0, j1;
      unitRange(u, &i, &j0, &j1);
      const GemvArgs& p = ps[i];
      const uint16_t* w = static_cast<const uint16_t*>(p.weight);
      constexpr int kWeightRows = 4;
      float dots[kRowsPerPass * kWeightRows];
      // Rows j, j + js, ...: a quarter of the unit apart, as the other bf16 path takes them.
      const long js = (j1 - j0) / kWeightRows;
      auto pass = [&](auto weightRows, long j, long stride) {
        constexpr int N = decltype(weightRows)::value;
        for (long r0 = 0; r0 < p.rows; r0 += kRowsPerPass) {
          const long rr = std::min<long>(kRowsPerPass, p.rows - r0);
          dotRowsDpbf16<N>(split + 3 * r0 * p.k, p.x + r0 * p.k, rr, p.k, w + j * p.k, stride * p.k, dots);
          for (long r = 0; r < rr; r++)
            for (int c = 0; c < N; c++)
              p.out[(r0 + r) * p.n + j + c * stride] = epilogue(p, r0 + r, j + c * stride, dots[r * N + c]);
        }
      };
      for (long j = j0; j < j0 + js; j++) pass(std::integral_constant<int, kWeightRows>{}, j, js);
      for (long j = j0 + kWeightRows * js; j < j1; j++) pass(std::integral_constant<int, 1>{}, j, 1);
    });
    return;
  }
#endif
#if LLM_DECODE_ISA != 0
  if (p0.bf16) {
    const long kv = p0.k - p0.k % (2 * kWidth);
    // Split once on the calling thread, read by all; kept between calls (nothing allocated per token).
    static thread_local std::vector<float> split;
    if (split.size() < static_cast<size_t>(p0.rows * kv)) split.resize(static_cast<size_t>(p0.rows * kv));
    splitPairs(p0.x, p0.rows, p0.k, kv, split.data());
    const float* xs = split.data();
    parallelFor(units, nt, [&](long u) {
      int i;
      long j0, j1;
      unitRange(u, &i, &j0, &j1);
      const UnitDots dots = unitDots(ps[i], j0, j1);
      gemvRangePairs(ps[i], xs, kv, dots);
      finishUnit(ps[i], dots);
    });
    return;
  }
#endif
  parallelFor(units, nt, [&](long u) {
    int i;
    long j0, j1;
    unitRange(u, &i, &j0, &j1);
    const GemvArgs& p = ps[i];
    if (p.bf16)
      gemvRange(p, static_cast<const uint16_t*>(p.weight), j0, j1);
    else
#if LLM_DECODE_ISA != 0
    {
      const UnitDots dots = unitDots(p, j0, j1);
      gemvRangeTiled(p, static_cast<const float*>(p.weight), dots);
      finishUnit(p, dots);
    }
#else
      gemvRange(p, static_cast<const float*>(p.weight), j0, j1);
#endif
  });
}

void gemv(const GemvArgs& p) { LLM_KERNEL_NS::gemvMany(&p, 1); }

#if LLM_DECODE_ISA != 0
// The scores of positions u, u + step, u + 2 step and u + 3 step (positions past `seen` repeat the
// last one) against query row qr, into s.
inline void scoreFour(const float* qr, long hs, const float* kc, long u, long step, long seen, float scale, float* s) {
  long at[4];
  for (int i = 0; i < 4; i++) at[i] = std::min(u + i * step, seen - 1);
  const float *k0 = kc + at[0] * hs, *k1 = kc + at[1] * hs, *k2 = kc + at[2] * hs, *k3 = kc + at[3] * hs;
  Vec a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
  for (long e = 0; e < hs; e += kWidth) {
    const Vec qv = loadX(qr + e);
    a0 = fma(qv, loadX(k0 + e), a0);
    a1 = fma(qv, loadX(k1 + e), a1);
    a2 = fma(qv, loadX(k2 + e), a2);
    a3 = fma(qv, loadX(k3 + e), a3);
  }
  s[at[0]] = hsum(a0) * scale;
  s[at[1]] = hsum(a1) * scale;
  s[at[2]] = hsum(a2) * scale;
  s[at[3]] = hsum(a3) * scale;
}

// o[0 .. V * kWidth) = sum over positions t of s[t] * inv * v[t * hs + ...], in position order.
template <int V>
inline void weighFromValues(const float* s, float inv, long seen, const float* v, long hs, float* o) {
  Vec acc[V];
  for (int i = 0; i < V; i++) acc[i] = zero();
  for (long t = 0; t < seen; t++) {
    const Vec wt = set1(s[t] * inv);
    const float* vt = v + t * hs;
    for (int i = 0; i < V; i++) acc[i] = fma(wt, loadX(vt + i * kWidth), acc[i]);
  }
  for (int i = 0; i < V; i++) store(o + i * kWidth, acc[i]);
}
#endif

namespace {

// Query row `task` of p (its batch row, head and token, numbered as attendCached takes them) over
// its cached keys and values.
void attendTask(const AttendArgs& p, long task) {
  const long hs = p.headDim, C = p.heads * hs;
  const float scale = p.scale > 0 ? p.scale : 1.0f / std::sqrt(static_cast<float>(hs));
  const long kvHeads = p.kvHeads > 0 ? p.kvHeads : p.heads, group = p.heads / kvHeads;
  const long seenMax = p.start + p.tokens;
  // One scores row per thread, kept between calls: decoding allocates nothing per token.
  thread_local std::vector<float> scores;
  if (static_cast<long>(scores.size()) < seenMax) scores.resize(seenMax);
  float* s = scores.data();
  const long i = task % p.tokens, bh = task / p.tokens;
  const long b = bh / p.heads, h = bh % p.heads;
  const float* qr = p.q + (b * p.tokens + i) * C + h * hs;
  const long cached = b * kvHeads + h / group;
  const float* kc = p.keys + cached * p.maxLength * hs;
  const float* vc = p.values + cached * p.maxLength * hs;
  float* o = p.out + (b * p.tokens + i) * C + h * hs;
  const long seen = p.start + i + 1;
  float max = -INFINITY;
  long t = 0;
#if LLM_DECODE_ISA != 0
  if (hs % kWidth == 0) {
    // Four positions at a time, a quarter of the cache apart: four FMA chains in flight, and
    // four streams from memory instead of one (a thread here reads one stream at about 60% of
    // the rate of several): the keys of 320 positions over 12 layers took 0.6 ms with adjacent
    // positions, 0.37 ms with the quarters (Zen 2, 2 threads, from memory). Each position's sum
    // is the same whichever lane computes it, so the last few positions, with lanes to spare,
    // repeat the last one.
    const long quarter = seen / 4;
    for (long u = 0; u < quarter; u++) scoreFour(qr, hs, kc, u, quarter, seen, scale, s);
    if (quarter * 4 < seen) scoreFour(qr, hs, kc, quarter * 4, 1, seen, scale, s);
    for (long u = 0; u < seen; u++) max = s[u] > max ? s[u] : max;
    t = seen;
  }
#endif
  for (; t < seen; t++) {
    const float* kt = kc + t * hs;
    float d = 0;
#pragma omp simd reduction(+ : d)
    for (long e = 0; e < hs; e++) d += qr[e] * kt[e];
    s[t] = d * scale;
    max = s[t] > max ? s[t] : max;
  }
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (long t = 0; t < seen; t++) {
    s[t] = fastExp(s[t] - max);
    sum += s[t];
  }
  // Written only after this head's query row was read in full: out may be q itself.
  const float inv = 1.0f / sum;
  long e0 = 0;
#if LLM_DECODE_ISA != 0
  // The output row in registers over every position, eight vectors at a time where it has them
  // (eight FMA chains, and a value row read in one pass where it is no longer than that), then
  // four; each element still sums the positions in order.
  for (; e0 + 8 * kWidth <= hs; e0 += 8 * kWidth) weighFromValues<8>(s, inv, seen, vc + e0, hs, o + e0);
  for (; e0 + 4 * kWidth <= hs; e0 += 4 * kWidth) weighFromValues<4>(s, inv, seen, vc + e0, hs, o + e0);
#endif
  for (long e = e0; e < hs; e++) o[e] = 0;
  for (long t = 0; t < seen; t++) {
    const float wt = s[t] * inv;
    const float* vt = vc + t * hs;
#pragma omp simd
    for (long e = e0; e < hs; e++) o[e] += wt * vt[e];
  }
}

}  // namespace

void attendMany(const AttendArgs* ps, long count) {
  // The tasks of every attention numbered one after the other (first[i]: attention i's first), so
  // that the threads meet once, not once per sequence. Kept between calls: nothing allocated per token.
  thread_local std::vector<long> first;
  first.assign(1, 0);
  double work = 0;
  for (long i = 0; i < count; i++) {
    const AttendArgs& p = ps[i];
    first.push_back(first.back() + p.batch * p.heads * p.tokens);
    work += 2.0 * p.batch * p.heads * p.tokens * (p.start + p.tokens) * p.headDim;
  }
  const long tasks = first.back();
  // The caller's offsets: inside the region, `first` would name each helper thread's own.
  const long* starts = first.data();
  parallelFor(tasks, threadsFor(work, tasks), [&](long task) {
    const long i = std::upper_bound(starts, starts + count + 1, task) - starts - 1;
    attendTask(ps[i], task - starts[i]);
  });
}

void attendCached(const AttendArgs& p) { LLM_KERNEL_NS::attendMany(&p, 1); }

// streams > 1 reads each chunk as that many equal parts side by side (the pattern of the gemv
// tiles, whose rows are spaced apart): the prefetcher serves several streams faster than one here,
// so the bandwidth probe takes the better of both patterns.
double readSum(const float* x, long n, int threads, int streams) {
  constexpr long kChunk = 1 << 16;
  const long chunks = (n + kChunk - 1) / kChunk;
  double total = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : total)
  for (long c = 0; c < chunks; c++) {
    const float* xc = x + c * kChunk;
    const long len = std::min(kChunk, n - c * kChunk);
#if LLM_DECODE_ISA == 0
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (long q = 0; q < len; q++) s += xc[q];
    total += s;
#else
    Vec a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
    long q = 0;
    if (streams > 1 && len == kChunk) {
      // Four parts of a quarter chunk each, read in step.
      constexpr long kPart = kChunk / 4;
      for (; q < kPart; q += kWidth) {
        a0 = add(a0, loadX(xc + q));
        a1 = add(a1, loadX(xc + kPart + q));
        a2 = add(a2, loadX(xc + 2 * kPart + q));
        a3 = add(a3, loadX(xc + 3 * kPart + q));
      }
      q = len;
    }
    for (; q + 4 * kWidth <= len; q += 4 * kWidth) {
      a0 = add(a0, loadX(xc + q));
      a1 = add(a1, loadX(xc + q + kWidth));
      a2 = add(a2, loadX(xc + q + 2 * kWidth));
      a3 = add(a3, loadX(xc + q + 3 * kWidth));
    }
    float s = hsum(add(add(a0, a1), add(a2, a3)));
    for (; q < len; q++) s += xc[q];
    total += s;
#endif
  }
  return total;
}

}  // namespace llm::LLM_KERNEL_NS
