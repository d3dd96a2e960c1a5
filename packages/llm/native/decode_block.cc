// One transformer block of the decode step in one call (DecodeBlockArgs in kernels.h): the layer
// norms, the q, k and v products in one parallel region, the new keys and values copied into each
// sequence's cache, every sequence's attention over its cache in one parallel region, and the
// projection and feed-forward with their shortcuts fused. A decoded token crosses from JavaScript
// into the addon once per block instead of nine times, and the threads meet once for q, k and v,
// and once for the attention of all the sequences.
#include <cstring>
#include <vector>

#include "kernels.h"

namespace llm {

namespace {

GemvArgs product(const DecodeLinear& l, const float* x, long rows, long k, long n, float* out, bool gelu,
                 const float* residual) {
  GemvArgs g{};
  g.x = x;
  g.rows = rows;
  g.k = k;
  g.n = n;
  g.weight = l.weight;
  g.bf16 = l.bf16;
  g.bias = l.bias;
  g.gelu = gelu;
  g.residual = residual;
  g.out = out;
  return g;
}

}  // namespace

void decodeBlock(const DecodeBlockArgs& p) {
  const long C = p.embDim, rows = p.rows, hs = C / p.heads;
  layerNorm(p.x, p.ln1.gamma, p.ln1.beta, rows, C, p.ln1.eps, p.ln, p.mean, p.rstd);
  const GemvArgs qkv[3] = {product(p.query, p.ln, rows, C, C, p.q, false, nullptr),
                           product(p.key, p.ln, rows, C, C, p.k, false, nullptr),
                           product(p.value, p.ln, rows, C, C, p.v, false, nullptr)};
  if (p.query.bf16 == p.key.bf16 && p.key.bf16 == p.value.bf16) {
    gemvMany(qkv, 3);
  } else {
    for (const GemvArgs& g : qkv) gemv(g);
  }
  for (long s = 0; s < p.segmentCount; s++) {
    const DecodeSegment& seg = p.segments[s];
    // Rows (tokens, heads, hs) into the cache's (heads, capacity, hs) at position start.
    for (long t = 0; t < seg.tokens; t++)
      for (long h = 0; h < p.heads; h++) {
        const long from = (seg.row + t) * C + h * hs, to = (h * seg.capacity + seg.start + t) * hs;
        std::memcpy(seg.keys + to, p.k + from, hs * sizeof(float));
        std::memcpy(seg.values + to, p.v + from, hs * sizeof(float));
      }
  }
  // Every sequence's attention in one parallel region; the context vectors replace the queries in
  // place, ready for the projection. Kept between calls: nothing allocated per token.
  thread_local std::vector<AttendArgs> attends;
  attends.assign(static_cast<size_t>(p.segmentCount), AttendArgs{});
  for (long s = 0; s < p.segmentCount; s++) {
    const DecodeSegment& seg = p.segments[s];
    AttendArgs& a = attends[static_cast<size_t>(s)];
    a.q = p.q + seg.row * C;
    a.keys = seg.keys;
    a.values = seg.values;
    a.out = p.q + seg.row * C;
    a.batch = 1;
    a.heads = p.heads;
    a.headDim = hs;
    a.maxLength = seg.capacity;
    a.start = seg.start;
    a.tokens = seg.tokens;
  }
  attendMany(attends.data(), p.segmentCount);
  gemv(product(p.proj, p.q, rows, C, C, p.x, false, p.x));
  layerNorm(p.x, p.ln2.gamma, p.ln2.beta, rows, C, p.ln2.eps, p.ln, p.mean, p.rstd);
  gemv(product(p.fc1, p.ln, rows, C, p.hidden, p.h, true, nullptr));
  gemv(product(p.fc2, p.h, rows, p.hidden, C, p.x, false, p.x));
}

}  // namespace llm
