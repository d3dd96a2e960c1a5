// How a batch of m x n products is cut into pieces for the kernels' threads, shared by the f32 and
// the bf16 GEMM drivers (the f32 one runs a product with a full A block of rows per thread its own
// way instead, gemmShared in gemm.cc, and asks productSplit how many threads it gets).
#pragma once

#include <algorithm>

#include "gemm.h"
#include "runtime.h"

namespace llm {

// How many threads a batch of products gets, and whether they take whole batch items each.
struct ProductSplit {
  int threads;
  bool byItem;
};

inline ProductSplit productSplit(const GemmArgs& g) {
  int nt = threads();
  // Below ~2 MFLOP per call a second thread costs more in wake-up than it saves.
  const double work = static_cast<double>(g.batch) * g.m * g.n * g.k;
  if (work < 1 << 20) nt = 1;
  // A stride-0 C would make batch items race on one output; such products stay serial per item.
  const bool byItem = nt > 1 && g.strideC != 0 && (g.batch % nt == 0 || g.batch >= 4 * nt);
  return {nt, byItem};
}

// The narrowest chunk of columns (or rows) a thread takes when a product is cut into chunks.
constexpr long kMinChunk = 1024;

// Calls item(bi, i0, i1, j0, j1) for pieces covering every batch item's C (rows i0..i1, columns
// j0..j1), mr and nr being the micro-kernel's tile.
template <class Item>
void splitProduct(const GemmArgs& g, long mr, long nr, Item&& item) {
  const long m = g.m, n = g.n;
  const ProductSplit split = productSplit(g);
  const int nt = split.threads;
  if (nt == 1) {
    for (long bi = 0; bi < g.batch; bi++) item(bi, 0, m, 0, n);
    return;
  }
  if (split.byItem) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long bi = 0; bi < g.batch; bi++) item(bi, 0, m, 0, n);
    return;
  }
  for (long bi = 0; bi < g.batch; bi++) {
    if (n >= m) {
      // Split C by columns into chunks handed out dynamically: on a shared machine a thread that
      // loses its core for a while then does less of the work instead of holding up the product.
      // Each chunk streams all of A through the cache again to pack it, which took 7% of a
      // 512-column chunk's time on Zen 5, so chunks stay at least 1024 columns wide (512: the
      // 2048- and 3072-column products ran 2-4% slower at 2 threads); up to 12 per thread, so
      // that the LM head's 50,257 columns come in chunks of tens of milliseconds, not 25 (4 per
      // thread: the threads waited on each other 6% of the time).
      const long panels = (n + nr - 1) / nr;
      const long chunks = nt * std::max<long>(1, std::min<long>(12, n / (kMinChunk * nt)));
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
      for (long c = 0; c < chunks; c++) {
        const long u0 = panels * c / chunks, u1 = panels * (c + 1) / chunks;
        item(bi, 0, m, std::min(n, u0 * nr), std::min(n, u1 * nr));
      }
    } else {
      // Tall C: chunks of rows, also dynamic; each re-packs B, so they stay as tall.
      const long panels = (m + mr - 1) / mr;
      const long chunks = nt * std::max<long>(1, std::min<long>(12, m / (kMinChunk * nt)));
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
      for (long c = 0; c < chunks; c++) {
        const long u0 = panels * c / chunks, u1 = panels * (c + 1) / chunks;
        item(bi, std::min(m, u0 * mr), std::min(m, u1 * mr), 0, n);
      }
    }
  }
}

}  // namespace llm
