// Fused causal self-attention for training and prefill, forward and backward (the specification is
// causalAttention and causalAttentionBackward in src/backend/ts/attention.ts).
//
// Forward, per (batch, head, block of query rows): the block's scores against the keys up to its
// diagonal, softmax, and the weighted sum of the values, then the row's log-sum-exp, saved for the
// backward. The scores of one block (kBlock rows by at most T keys) stay in this thread's cache and
// are never written out. The block holds whole rows, so the softmax is exact in one pass: on a CPU a
// row of scores fits L1 for any context in use, and flash attention's running max and rescaling of
// the output (needed on a GPU, where a row does not fit the shared memory) would only add work.
// Future keys are never computed: a row tile stops at its diagonal.
//
// Backward, per (batch, kv head), the heads sharing it in turn so that dK and dV are summed in one
// fixed order without atomics: for each block of query rows, P is recomputed from q, k and the saved
// log-sum-exp, then dP = dO V^T, dS = P (dP - rowsum(dO O)), dQ = scale dS K, and the block's share
// dV += P^T dO, dK += scale dS^T Q. Every output element belongs to one task, so results do not
// depend on the thread count.
//
// q, out and dq are (B, T, heads * D) as the projections write them; k, v, dk and dv are
// (B, T, kvHeads * D); query head h reads kv head h / (heads / kvHeads). No head is copied out of
// its row, except the transposed keys (and values, in the backward) packed per task so that the
// score products run along contiguous memory.
//
// Compiled three times: llm::portable here, llm::avx2 by attention_avx2.cc, llm::avx512 by
// attention_avx512.cc (LLM_ATTENTION_ISA says which intrinsics each may use).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "fastmath.h"
#include "kernels.h"
#if LLM_ATTENTION_ISA >= 1
#include "transpose8x8.h"
#endif

#ifndef LLM_KERNEL_NS
#define LLM_KERNEL_NS portable
#define LLM_ATTENTION_ISA 0
#endif

namespace llm::LLM_KERNEL_NS {
namespace {

#if LLM_ATTENTION_ISA == 2
using Vec = __m512;
constexpr long kWidth = 16;
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
#elif LLM_ATTENTION_ISA == 1
using Vec = __m256;
constexpr long kWidth = 8;
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
#elif defined(__x86_64__)
// SSE2 is the x86-64 baseline; without FMA a multiply and an add.
using Vec = __m128;
constexpr long kWidth = 4;
inline Vec load(const float* p) { return _mm_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm_storeu_ps(p, v); }
inline Vec splat(float x) { return _mm_set1_ps(x); }
inline Vec zero() { return _mm_setzero_ps(); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline Vec add(Vec a, Vec b) { return _mm_add_ps(a, b); }
#else
using Vec = float;
constexpr long kWidth = 1;
inline Vec load(const float* p) { return *p; }
inline void store(float* p, Vec v) { *p = v; }
inline Vec splat(float x) { return x; }
inline Vec zero() { return 0.0f; }
inline Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
inline Vec add(Vec a, Vec b) { return a + b; }
#endif

// A register tile: kRows rows of A against two vectors of B's columns. With AVX2 that is 8
// accumulators, 2 loads of B and a broadcast of A in flight (11 of 16 registers); AVX-512's 32
// registers hold 8 rows (16 accumulators), which halves the loads of B per FMA.
constexpr int kRows = LLM_ATTENTION_ISA == 2 ? 8 : 4;
constexpr long kCols = 2 * kWidth;
// Query rows per block: the backward's P^T dO and dS^T Q products sum over the block's rows, so a
// block must be long enough to amortise loading and storing the dK and dV rows it adds to.
constexpr long kBlock = 64;

// C (R x V*kWidth, ldc) = (accumulate ? C : 0) + A (R x k, lda) B (k x V*kWidth, ldb).
template <int R, int V>
inline void tile(long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc, bool accumulate) {
  Vec c[R][V];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < V; v++) c[r][v] = accumulate ? load(C + r * ldc + v * kWidth) : zero();
  for (long p = 0; p < k; p++) {
    Vec b[V];
    for (int v = 0; v < V; v++) b[v] = load(B + p * ldb + v * kWidth);
    for (int r = 0; r < R; r++) {
      const Vec a = splat(A[r * lda + p]);
      for (int v = 0; v < V; v++) c[r][v] = fma(a, b[v], c[r][v]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < V; v++) store(C + r * ldc + v * kWidth, c[r][v]);
}

// The columns past the last whole vector, one at a time (an odd head size's tail).
inline void tileTail(long rows, long cols, long k, const float* A, long lda, const float* B, long ldb, float* C,
                     long ldc, bool accumulate) {
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < cols; j++) {
      float s = accumulate ? C[r * ldc + j] : 0.0f;
      for (long p = 0; p < k; p++) s += A[r * lda + p] * B[p * ldb + j];
      C[r * ldc + j] = s;
    }
}

template <int R>
inline void rowTile(long n, long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc,
                    bool accumulate) {
  long j = 0;
  for (; j + kCols <= n; j += kCols) tile<R, 2>(k, A, lda, B + j, ldb, C + j, ldc, accumulate);
  for (; j + kWidth <= n; j += kWidth) tile<R, 1>(k, A, lda, B + j, ldb, C + j, ldc, accumulate);
  if (j < n) tileTail(R, n - j, k, A, lda, B + j, ldb, C + j, ldc, accumulate);
}

// C (m x n) = (accumulate ? C : 0) + A (m x k) B (k x n), all row-major with the given strides.
void product(long m, long n, long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc,
             bool accumulate) {
  long i = 0;
  for (; i + kRows <= m; i += kRows) rowTile<kRows>(n, k, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
  for (; i < m; i++) rowTile<1>(n, k, A + i * lda, lda, B, ldb, C + i * ldc, ldc, accumulate);
}

inline long roundUp(long n, long m) { return (n + m - 1) / m * m; }

// dst (cols x rows, row stride ldd) = the transpose of src (rows x cols, row stride lds), in 8 x 8
// register tiles where the CPU has AVX2.
void transpose(const float* src, long lds, long rows, long cols, float* dst, long ldd) {
  long i = 0;
#if LLM_ATTENTION_ISA >= 1
  for (; i + 8 <= rows; i += 8) {
    long j = 0;
    for (; j + 8 <= cols; j += 8) {
      __m256 r[8];
      for (int t = 0; t < 8; t++) r[t] = _mm256_loadu_ps(src + (i + t) * lds + j);
      llm::transpose8x8(r);
      for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (j + t) * ldd + i, r[t]);
    }
    for (; j < cols; j++)
      for (long t = 0; t < 8; t++) dst[j * ldd + i + t] = src[(i + t) * lds + j];
  }
#endif
  for (; i < rows; i++)
    for (long j = 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
}

// dst (D x ldt) = the transpose of rows [0, n) of one head of src (row stride ld); the columns past
// n, up to ldt, are zero, so a score tile may run a whole vector past the diagonal.
void packTransposed(const float* src, long ld, long n, long D, float* dst, long ldt) {
  transpose(src, ld, n, D, dst, ldt);
  for (long e = 0; e < D; e++) std::fill(dst + e * ldt + n, dst + (e + 1) * ldt, 0.0f);
}

// S (rows x ldS) = scale * Q_block K^T for keys up to each row tile's diagonal (rounded up to whole
// vectors; columns past a row's own position are then masked by the caller). Row r of the block
// sits at position i0 + r.
void blockScores(const float* q, long ldq, long i0, long rows, const float* kT, long ldk, long D, float* S,
                 long ldS) {
  long r = 0;
  for (; r + kRows <= rows; r += kRows) {
    const long n = roundUp(i0 + r + kRows, kWidth);
    rowTile<kRows>(n, D, q + r * ldq, ldq, kT, ldk, S + r * ldS, ldS, false);
  }
  for (; r < rows; r++) rowTile<1>(roundUp(i0 + r + 1, kWidth), D, q + r * ldq, ldq, kT, ldk, S + r * ldS, ldS, false);
}

thread_local std::vector<float> tScratch;

float* scratch(long n) {
  if (static_cast<long>(tScratch.size()) < n) tScratch.resize(n);
  return tScratch.data();
}

}  // namespace

void causalAttention(const AttentionArgs& p) {
  const long T = p.tokens, D = p.headDim, H = p.heads, group = p.heads / p.kvHeads;
  const long ldq = H * D, ldk = p.kvHeads * D;
  const long blocks = (T + kBlock - 1) / kBlock, tasks = p.batch * H * blocks;
  const long ldt = roundUp(T, kWidth);
  const double work = 2.0 * p.batch * H * T * T * D;
  const int nt = threadsFor(work, tasks);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float* kT = scratch(D * ldt + kBlock * ldt);
    float* S = kT + D * ldt;
    // Later blocks see more keys: handing tasks out one at a time keeps the threads even.
#pragma omp for schedule(dynamic, 1)
    for (long task = 0; task < tasks; task++) {
      const long blk = task % blocks, bh = task / blocks, b = bh / H, h = bh % H;
      const long i0 = blk * kBlock, rows = std::min(kBlock, T - i0), seen = i0 + rows;
      const float* q = p.q + (b * T + i0) * ldq + h * D;
      const float* k = p.k + b * T * ldk + (h / group) * D;
      const float* v = p.v + b * T * ldk + (h / group) * D;
      float* out = p.out + (b * T + i0) * ldq + h * D;
      float* lse = p.lse + (b * H + h) * T + i0;
      packTransposed(k, ldk, seen, D, kT, ldt);
      blockScores(q, ldq, i0, rows, kT, ldt, D, S, ldt);
      for (long r = 0; r < rows; r++) {
        float* s = S + r * ldt;
        const long n = i0 + r + 1;
        // The scale in a local: read through p, it is loaded again after every store to s and the
        // loop stays scalar.
        const float scale = p.scale;
        float max = -INFINITY;
#pragma omp simd reduction(max : max)
        for (long j = 0; j < n; j++) {
          const float x = s[j] * scale;
          s[j] = x;
          max = std::max(max, x);
        }
        float sum = 0;
#pragma omp simd reduction(+ : sum)
        for (long j = 0; j < n; j++) {
          s[j] = fastExp(s[j] - max);
          sum += s[j];
        }
        const float inv = 1.0f / sum;
#pragma omp simd
        for (long j = 0; j < n; j++) s[j] *= inv;
        // The rest of the tile's keys get weight 0, so P V may run over whole row tiles.
        for (long j = n; j < seen; j++) s[j] = 0.0f;
        lse[r] = max + std::log(sum);
      }
      long r = 0;
      for (; r + kRows <= rows; r += kRows)
        rowTile<kRows>(D, i0 + r + kRows, S + r * ldt, ldt, v, ldk, out + r * ldq, ldq, false);
      for (; r < rows; r++) rowTile<1>(D, i0 + r + 1, S + r * ldt, ldt, v, ldk, out + r * ldq, ldq, false);
    }
  }
}

void causalAttentionBackward(const AttentionArgs& p) {
  const long T = p.tokens, D = p.headDim, H = p.heads, KH = p.kvHeads, group = H / KH;
  const long ldq = H * D, ldk = KH * D;
  const long tasks = p.batch * KH, ldt = roundUp(T, kWidth);
  const double work = 5.0 * p.batch * H * T * T * D;
  const int nt = threadsFor(work, tasks);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    // kT and vT (D x ldt), P and dS (kBlock x ldt), their transposes (ldt x kBlock), the rows'
    // sums of dO O (kBlock).
    float* kT = scratch(2 * D * ldt + 4 * kBlock * ldt + kBlock);
    float* vT = kT + D * ldt;
    float* P = vT + D * ldt;
    float* dS = P + kBlock * ldt;
    float* Pt = dS + kBlock * ldt;
    float* dSt = Pt + kBlock * ldt;
    float* delta = dSt + kBlock * ldt;
#pragma omp for schedule(dynamic, 1)
    for (long task = 0; task < tasks; task++) {
      const long b = task / KH, g = task % KH;
      const float* k = p.k + b * T * ldk + g * D;
      const float* v = p.v + b * T * ldk + g * D;
      float* dk = p.dk + b * T * ldk + g * D;
      float* dv = p.dv + b * T * ldk + g * D;
      for (long t = 0; t < T; t++) {
        std::memset(dk + t * ldk, 0, D * sizeof(float));
        std::memset(dv + t * ldk, 0, D * sizeof(float));
      }
      packTransposed(k, ldk, T, D, kT, ldt);
      packTransposed(v, ldk, T, D, vT, ldt);
      for (long h = g * group; h < (g + 1) * group; h++) {
        for (long i0 = 0; i0 < T; i0 += kBlock) {
          const long rows = std::min(kBlock, T - i0), seen = i0 + rows;
          const float* q = p.q + (b * T + i0) * ldq + h * D;
          const float* o = p.out + (b * T + i0) * ldq + h * D;
          const float* dO = p.dOut + (b * T + i0) * ldq + h * D;
          float* dq = p.dq + (b * T + i0) * ldq + h * D;
          const float* lse = p.lse + (b * H + h) * T + i0;
          blockScores(q, ldq, i0, rows, kT, ldt, D, P, ldt);
          blockScores(dO, ldq, i0, rows, vT, ldt, D, dS, ldt);
          for (long r = 0; r < rows; r++) {
            float d = 0;
#pragma omp simd reduction(+ : d)
            for (long e = 0; e < D; e++) d += dO[r * ldq + e] * o[r * ldq + e];
            delta[r] = d;
          }
          for (long r = 0; r < rows; r++) {
            float* pr = P + r * ldt;
            float* dsr = dS + r * ldt;
            const long n = i0 + r + 1;
            const float l = lse[r], dl = delta[r], scale = p.scale;
#pragma omp simd
            for (long j = 0; j < n; j++) {
              const float pj = fastExp(pr[j] * scale - l);
              pr[j] = pj;
              dsr[j] = pj * (dsr[j] - dl) * scale;
            }
            for (long j = n; j < seen; j++) pr[j] = dsr[j] = 0.0f;
          }
          long r = 0;
          for (; r + kRows <= rows; r += kRows)
            rowTile<kRows>(D, i0 + r + kRows, dS + r * ldt, ldt, k, ldk, dq + r * ldq, ldq, false);
          for (; r < rows; r++) rowTile<1>(D, i0 + r + 1, dS + r * ldt, ldt, k, ldk, dq + r * ldq, ldq, false);
          transpose(P, ldt, rows, seen, Pt, kBlock);
          transpose(dS, ldt, rows, seen, dSt, kBlock);
          product(seen, D, rows, Pt, kBlock, dO, ldq, dv, ldk, true);
          product(seen, D, rows, dSt, kBlock, q, ldq, dk, ldk, true);
        }
      }
    }
  }
}

}  // namespace llm::LLM_KERNEL_NS
