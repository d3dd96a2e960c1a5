// Reductions, arg-reductions and index gathers/scatters over an (outer, size, inner) view.
#include <omp.h>

#include <cmath>
#include <cstring>

#include "kernels.h"

namespace llm {

void reduce(Reduce op, const float* x, long outer, long size, long inner, float* out) {
  const int nt = threadsFor(static_cast<double>(outer) * size * inner, outer);
  // inner == 1 (a row reduction) reads rows; otherwise accumulate whole inner rows at once so
  // the loop over i is contiguous and vectorizes.
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long o = 0; o < outer; o++) {
    const float* base = x + o * size * inner;
    float* dst = out + o * inner;
    if (op == Reduce::Sum) {
      if (inner == 1) {
        // Double accumulation: a long row summed in float drifts from the float64 reference.
        double acc = 0;
        for (long s = 0; s < size; s++) acc += base[s];
        dst[0] = static_cast<float>(acc);
      } else {
        // Blocks of 64 columns keep a double accumulator row in registers/L1.
        for (long i0 = 0; i0 < inner; i0 += 64) {
          const long w = inner - i0 < 64 ? inner - i0 : 64;
          double acc[64] = {};
          for (long s = 0; s < size; s++) {
            const float* row = base + s * inner + i0;
            for (long i = 0; i < w; i++) acc[i] += row[i];
          }
          for (long i = 0; i < w; i++) dst[i0 + i] = static_cast<float>(acc[i]);
        }
      }
    } else {
      const bool isMax = op == Reduce::Max;
      for (long i = 0; i < inner; i++) dst[i] = size > 0 ? base[i] : (isMax ? -INFINITY : INFINITY);
      for (long s = 1; s < size; s++) {
        const float* row = base + s * inner;
        for (long i = 0; i < inner; i++) {
          const float v = row[i];
          if ((isMax ? v > dst[i] : v < dst[i]) || std::isnan(v)) dst[i] = v;
        }
      }
    }
  }
}

void argReduce(bool wantMax, const float* x, long outer, long size, long inner, int32_t* out) {
  const int nt = threadsFor(static_cast<double>(outer) * size * inner, outer);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long o = 0; o < outer; o++) {
    const float* base = x + o * size * inner;
    for (long i = 0; i < inner; i++) {
      float best = base[i];
      int32_t at = 0;
      for (long s = 1; s < size; s++) {
        const float v = base[s * inner + i];
        // The first occurrence wins ties, as in PyTorch.
        if (wantMax ? v > best : v < best) {
          best = v;
          at = static_cast<int32_t>(s);
        }
      }
      out[o * inner + i] = at;
    }
  }
}

void indexSelect(const float* x, long outer, long size, long inner, const int32_t* idx, long count, float* out) {
  const int nt = threadsFor(static_cast<double>(outer) * count * inner);
#pragma omp parallel for collapse(2) num_threads(nt) schedule(static) if (nt > 1)
  for (long o = 0; o < outer; o++)
    for (long r = 0; r < count; r++)
      std::memcpy(out + (o * count + r) * inner, x + (o * size + idx[r]) * inner, inner * sizeof(float));
}

void indexAdd(const float* dy, long outer, long size, long inner, const int32_t* idx, long count, float* dx) {
  // Repeated indices add into the same row, so rows cannot be split among threads; the inner
  // axis (the embedding width) can.
  const int nt = threadsFor(static_cast<double>(outer) * count * inner);
  const bool splitInner = nt > 1 && inner >= 256;
#pragma omp parallel num_threads(splitInner ? nt : 1)
  {
    int t = 0, parts = 1;
    if (splitInner) {
      t = omp_get_thread_num();
      parts = nt;
    }
    const long i0 = inner * t / parts, i1 = inner * (t + 1) / parts;
    for (long o = 0; o < outer; o++)
      for (long r = 0; r < count; r++) {
        float* dst = dx + (o * size + idx[r]) * inner;
        const float* src = dy + (o * count + r) * inner;
        for (long i = i0; i < i1; i++) dst[i] += src[i];
      }
  }
}

void gather(const float* x, long outer, long size, long inner, const int32_t* idx, long idxSize, float* out) {
  const int nt = threadsFor(static_cast<double>(outer) * idxSize * inner, outer);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long o = 0; o < outer; o++)
    for (long r = 0; r < idxSize; r++) {
      const long at = (o * idxSize + r) * inner;
      for (long i = 0; i < inner; i++) out[at + i] = x[(o * size + idx[at + i]) * inner + i];
    }
}

void scatterAdd(const float* dy, long outer, long size, long inner, const int32_t* idx, long idxSize, float* dx) {
  // Each outer slab writes only its own part of dx, so slabs run in parallel.
  const int nt = threadsFor(static_cast<double>(outer) * idxSize * inner, outer);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long o = 0; o < outer; o++)
    for (long r = 0; r < idxSize; r++) {
      const long at = (o * idxSize + r) * inner;
      for (long i = 0; i < inner; i++) dx[(o * size + idx[at + i]) * inner + i] += dy[at + i];
    }
}

}  // namespace llm
