// Fused neural-network kernels: softmax, layer norm, GELU backward, cross-entropy, AdamW and
// the sum of squares. Rows are independent, so the big ones split rows among threads; sums
// along a row accumulate in double to stay within float rounding of the float64 reference.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fastmath.h"
#include "kernels.h"

#ifndef LLM_KERNEL_NS
#define LLM_KERNEL_NS portable
#endif

// Compiled twice: as llm::portable here and as llm::avx2 by nn_avx2.cc.
namespace llm::LLM_KERNEL_NS {

void softmax(const float* x, long rows, long cols, float* out, bool log) {
  const int nt = threadsFor(static_cast<double>(rows) * cols);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = out + r * cols;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (long j = 0; j < cols; j++) max = xr[j] > max ? xr[j] : max;
    // A row of -Infinity (fully masked) gives NaN, as in PyTorch: x - max is NaN there.
    double sum = 0;
    if (log) {
#pragma omp simd reduction(+ : sum)
      for (long j = 0; j < cols; j++) sum += fastExp(xr[j] - max);
      // In double: x - logSum cancels when one entry dominates, as the reference computes it.
      const double logSum = std::log(sum) + max;
      for (long j = 0; j < cols; j++) yr[j] = static_cast<float>(xr[j] - logSum);
    } else {
#pragma omp simd reduction(+ : sum)
      for (long j = 0; j < cols; j++) {
        const float e = fastExp(xr[j] - max);
        yr[j] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (long j = 0; j < cols; j++) yr[j] *= inv;
    }
  }
}

void softmaxBackward(const float* y, const float* dy, long rows, long cols, float* dx, bool log) {
  const int nt = threadsFor(static_cast<double>(rows) * cols);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    double acc = 0;
    if (log) {
#pragma omp simd reduction(+ : acc)
      for (long j = 0; j < cols; j++) acc += gr[j];
      const float s = static_cast<float>(acc);
#pragma omp simd
      for (long j = 0; j < cols; j++) dr[j] = gr[j] - fastExp(yr[j]) * s;
    } else {
#pragma omp simd reduction(+ : acc)
      for (long j = 0; j < cols; j++) acc += static_cast<double>(gr[j]) * yr[j];
      const float dot = static_cast<float>(acc);
      for (long j = 0; j < cols; j++) dr[j] = yr[j] * (gr[j] - dot);
    }
  }
}

namespace {

// Rows split among nt threads in order, each thread summing per-column values over its rows into
// `width` partial rows of cols floats of its own (row(r, partial) adds row r's), then the partials
// added into sums[0 .. width) in thread order: the column sums do not depend on timing.
template <int width, class Row>
void rowsWithColumnSums(long rows, long cols, int nt, float* const (&sums)[width], const Row& row) {
  std::vector<float> partial(static_cast<size_t>(nt) * width * cols, 0.0f);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = omp_get_thread_num();
    const int parts = omp_get_num_threads();
    float* mine = partial.data() + static_cast<size_t>(t) * width * cols;
    const long r0 = rows * t / parts, r1 = rows * (t + 1) / parts;
    for (long r = r0; r < r1; r++) row(r, mine);
  }
  for (int t = 0; t < nt; t++) {
    const float* theirs = partial.data() + static_cast<size_t>(t) * width * cols;
    for (int w = 0; w < width; w++)
      for (long j = 0; j < cols; j++) sums[w][j] += theirs[w * cols + j];
  }
}

}  // namespace

void layerNorm(const float* x, const float* gamma, const float* beta, long rows, long cols, float eps, float* out,
               float* mean, float* rstd) {
  const int nt = threadsFor(static_cast<double>(rows) * cols);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = out + r * cols;
    // simd reductions: lanes of doubles, added at the end (a sequential double sum is scalar).
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (long j = 0; j < cols; j++) sum += xr[j];
    const double mu = sum / cols;
    double sq = 0;
#pragma omp simd reduction(+ : sq)
    for (long j = 0; j < cols; j++) {
      const double d = xr[j] - mu;
      sq += d * d;
    }
    const float rs = static_cast<float>(1.0 / std::sqrt(sq / cols + eps));
    const float m = static_cast<float>(mu);
    mean[r] = m;
    rstd[r] = rs;
    for (long j = 0; j < cols; j++) yr[j] = (xr[j] - m) * rs * gamma[j] + beta[j];
  }
}

void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                       long rows, long cols, float* dx, float* dgamma, float* dbeta) {
  const int nt = threadsFor(static_cast<double>(rows) * cols);
  float* const sums[2] = {dgamma, dbeta};
  rowsWithColumnSums<2>(rows, cols, nt, sums, [&](long r, float* pg) {
    float* pb = pg + cols;
    const float* xr = x + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    const float mu = mean[r], rs = rstd[r];
    // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), with g = dy * gamma.
    double sumG = 0, sumGX = 0;
#pragma omp simd reduction(+ : sumG, sumGX)
    for (long j = 0; j < cols; j++) {
      const float xhat = (xr[j] - mu) * rs;
      const float g = gr[j] * gamma[j];
      sumG += g;
      sumGX += static_cast<double>(g) * xhat;
      pg[j] += gr[j] * xhat;
      pb[j] += gr[j];
    }
    const float meanG = static_cast<float>(sumG / cols), meanGX = static_cast<float>(sumGX / cols);
    for (long j = 0; j < cols; j++) {
      const float xhat = (xr[j] - mu) * rs;
      dr[j] = rs * (gr[j] * gamma[j] - meanG - xhat * meanGX);
    }
  });
}

void rmsNorm(const float* x, const float* scale, long rows, long cols, float eps, bool unitOffset, float* out,
             float* rstd) {
  const int nt = threadsFor(static_cast<double>(rows) * cols);
  const float offset = unitOffset ? 1.0f : 0.0f;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = out + r * cols;
    double sq = 0;
#pragma omp simd reduction(+ : sq)
    for (long j = 0; j < cols; j++) sq += static_cast<double>(xr[j]) * xr[j];
    const float rs = static_cast<float>(1.0 / std::sqrt(sq / cols + eps));
    rstd[r] = rs;
#pragma omp simd
    for (long j = 0; j < cols; j++) yr[j] = xr[j] * rs * (scale[j] + offset);
  }
}

void rmsNormBackward(const float* x, const float* scale, const float* rstd, const float* dy, long rows, long cols,
                     bool unitOffset, float* dx, float* dscale) {
  const int nt = threadsFor(static_cast<double>(rows) * cols);
  const float offset = unitOffset ? 1.0f : 0.0f;
  float* const sums[1] = {dscale};
  rowsWithColumnSums<1>(rows, cols, nt, sums, [&](long r, float* ps) {
    const float* xr = x + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    const float rs = rstd[r];
    // dx = rs * (g - x * rs^2 * mean(g * x)), with g = dy * w.
    double sumGX = 0;
#pragma omp simd reduction(+ : sumGX)
    for (long j = 0; j < cols; j++) {
      sumGX += static_cast<double>(gr[j] * (scale[j] + offset)) * xr[j];
      ps[j] += gr[j] * xr[j] * rs;
    }
    const float k = static_cast<float>(static_cast<double>(rs) * rs * sumGX / cols);
#pragma omp simd
    for (long j = 0; j < cols; j++) dr[j] = rs * (gr[j] * (scale[j] + offset) - xr[j] * k);
  });
}

void rope(const float* x, const float* cos, const float* sin, const int32_t* angleRow, long rows, long hs, float* out,
          bool transpose) {
  const long half = hs / 2;
  const int nt = threadsFor(static_cast<double>(rows) * hs);
  // sin2 / sin1 carry the sign of each half's rotated term: the forward's -x2 sin1 and +x1 sin2, or
  // the transpose's +x2 sin2 and -x1 sin1.
  const float sign = transpose ? -1.0f : 1.0f;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const float* x1 = x + r * hs;
    const float* x2 = x1 + half;
    const float* c = cos + static_cast<long>(angleRow[r]) * hs;
    const float* s = sin + static_cast<long>(angleRow[r]) * hs;
    // The transpose takes each half's sine from the other half.
    const float* s1 = transpose ? s + half : s;
    const float* s2 = transpose ? s : s + half;
    float* y1 = out + r * hs;
    float* y2 = y1 + half;
#pragma omp simd
    for (long j = 0; j < half; j++) {
      y1[j] = x1[j] * c[j] - sign * x2[j] * s1[j];
      y2[j] = x2[j] * c[half + j] + sign * x1[j] * s2[j];
    }
  }
}

static constexpr float kSqrt2OverPi = 0.7978845608028654f;

void geluBackward(const float* x, const float* dy, float* dx, long n) {
  // Blocks of plain loops, which GCC vectorizes (see mapN in elementwise.cc).
  constexpr long kBlock = 4096;
  const long blocks = (n + kBlock - 1) / kBlock;
  const int nt = threadsFor(static_cast<double>(n));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long blk = 0; blk < blocks; blk++) {
    const long i1 = std::min(n, (blk + 1) * kBlock);
#pragma omp simd
    for (long i = blk * kBlock; i < i1; i++) {
      const float v = x[i];
      const float u = kSqrt2OverPi * (v + 0.044715f * v * v * v);
      const float dInner = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * v * v);
      // With s = sigmoid(2u): 0.5 (1 + tanh u) = s and 1 - tanh^2 u = 4 s (1 - s). Taking the
      // exponential of -|2u| gives s and 1 - s without cancellation on either tail, where
      // 1 + tanh(u) in float loses the digits the float64 reference keeps.
      float s, sc;
      sigmoidPair(2.0f * u, &s, &sc);
      dx[i] = dy[i] * (s + 2.0f * v * s * sc * dInner);
    }
  }
}

double crossEntropy(const float* logits, const int32_t* targets, long rows, long vocab, long ignoreIndex,
                    float* lse) {
  const int nt = threadsFor(static_cast<double>(rows) * vocab);
  double total = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : total) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const long t = targets[r];
    if (t == ignoreIndex) {
      lse[r] = 0.0f;
      continue;
    }
    const float* lr = logits + r * vocab;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (long j = 0; j < vocab; j++) max = lr[j] > max ? lr[j] : max;
    // Sum in float lanes in blocks, then in double: the vocabulary is 50,257 long.
    double sum = 0;
    for (long j0 = 0; j0 < vocab; j0 += 1024) {
      const long j1 = j0 + 1024 < vocab ? j0 + 1024 : vocab;
      float block = 0.0f;
#pragma omp simd reduction(+ : block)
      for (long j = j0; j < j1; j++) block += fastExp(lr[j] - max);
      sum += block;
    }
    const double l = std::log(sum) + max;
    lse[r] = static_cast<float>(l);
    total += l - lr[t];
  }
  return total;
}

void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, long rows, long vocab,
                          long ignoreIndex, float scale, float* dlogits) {
  const int nt = threadsFor(static_cast<double>(rows) * vocab);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long r = 0; r < rows; r++) {
    const long t = targets[r];
    float* dr = dlogits + r * vocab;
    if (t == ignoreIndex) {
      std::memset(dr, 0, vocab * sizeof(float));
      continue;
    }
    const float* lr = logits + r * vocab;
    const float l = lse[r];
#pragma omp simd
    for (long j = 0; j < vocab; j++) dr[j] = fastExp(lr[j] - l) * scale;
    dr[t] -= scale;
  }
}

void adamw(float* param, const float* grad, float* m, float* v, long n, const AdamW& p) {
  const double bc1 = 1 - std::pow(p.beta1, p.step);
  const double bc2 = 1 - std::pow(p.beta2, p.step);
  const float stepSize = static_cast<float>(p.lr / bc1);
  const float invBc2Sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  const float decay = static_cast<float>(1 - p.lr * p.weightDecay);
  const float b1 = static_cast<float>(p.beta1), b2 = static_cast<float>(p.beta2);
  const float c1 = static_cast<float>(1 - p.beta1), c2 = static_cast<float>(1 - p.beta2);
  const float eps = static_cast<float>(p.eps);
  const int nt = threadsFor(static_cast<double>(n));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long i = 0; i < n; i++) {
    const float g = grad[i];
    // Decoupled weight decay first, then Adam with eps outside the square root (PyTorch).
    const float w = param[i] * decay;
    const float mi = b1 * m[i] + c1 * g;
    const float vi = b2 * v[i] + c2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = w - stepSize * mi / (std::sqrt(vi) * invBc2Sqrt + eps);
  }
}

double sumSquares(const float* x, long n) {
  const int nt = threadsFor(static_cast<double>(n));
  double total = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : total) if (nt > 1)
  for (long i0 = 0; i0 < n; i0 += 4096) {
    // Float lanes within a block (vectorized), double across blocks.
    const long i1 = i0 + 4096 < n ? i0 + 4096 : n;
    float block = 0.0f;
#pragma omp simd reduction(+ : block)
    for (long i = i0; i < i1; i++) block += x[i] * x[i];
    total += block;
  }
  return total;
}

}  // namespace llm::LLM_KERNEL_NS
