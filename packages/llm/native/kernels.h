// The non-GEMM kernels on raw pointers, free of Node-API: each mirrors the function of the same
// name in src/backend/ts (the specification); addon.cc converts arguments and calls these.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llm {

// Strided kernels take rank, shape[rank] and strides[rank] in elements (stride 0 broadcasts).
constexpr int kMaxRank = 16;

enum class Unary { Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Relu, Gelu, Abs, Sign, Silu };
enum class Binary { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Gt, Ge, Lt };
enum class Reduce { Sum, Max, Min };

// Reductions and indexing (reduce.cc).
void reduce(Reduce op, const float* x, long outer, long size, long inner, float* out);
void argReduce(bool wantMax, const float* x, long outer, long size, long inner, int32_t* out);
void indexSelect(const float* x, long outer, long size, long inner, const int32_t* idx, long count, float* out);
void indexAdd(const float* dy, long outer, long size, long inner, const int32_t* idx, long count, float* dx);
void gather(const float* x, long outer, long size, long inner, const int32_t* idx, long idxSize, float* out);
void scatterAdd(const float* dy, long outer, long size, long inner, const int32_t* idx, long idxSize, float* dx);

struct AdamW {
  double lr, beta1, beta2, eps, weightDecay, step;
};

#include "kernel_list.inc"

struct GemvArgs {
  const float* x;
  long rows, k, n;
  const void* weight;
  bool bf16;
  const float* bias;      // or null
  bool gelu;
  const float* residual;  // or null; may equal out
  float* out;
};

struct AttendArgs {
  const float* q;
  const float* keys;
  const float* values;
  float* out;
  long batch, heads, headDim, maxLength, start, tokens;
  // Cached heads (grouped-query attention: query head h reads cached head h / (heads / kvHeads));
  // 0: as many as heads. The scores' scale; 0: 1 / sqrt(headDim).
  long kvHeads = 0;
  float scale = 0;
};

// The decode kernels (decode.cc) and the read-bandwidth probe, in bytes per second: the best of
// `repeats` read-sums over `bytes` of memory, on the kernels' threads.
void gemv(const GemvArgs& p);
// Up to kMaxGemvProducts products that share x, rows, k and the weights' type (a layer's q, k and v)
// in one parallel region: one hand-off to the threads and one tail instead of one per product.
constexpr int kMaxGemvProducts = 3;
void gemvMany(const GemvArgs* ps, int count);
void attendCached(const AttendArgs& p);
// Several attentions, each over its own cache (a batch's sequences), with one hand-off to the threads.
void attendMany(const AttendArgs* ps, long count);

// One GPT-2 transformer block on a few new rows (src/backend/kernels.ts DecodeBlockParams): x +=
// proj(attention(ln1(x))), x += fc2(gelu(fc1(ln2(x)))), each sequence's new keys and values
// appended to its cache.
struct DecodeLinear {
  const void* weight;
  bool bf16;
  const float* bias;  // or null
};
struct DecodeNorm {
  const float* gamma;
  const float* beta;
  float eps;
};
struct DecodeSegment {
  float* keys;    // (heads, capacity, headDim)
  float* values;  // (heads, capacity, headDim)
  long capacity, start, row, tokens;
};
struct DecodeBlockArgs {
  float* x;
  long rows, embDim, heads, hidden;
  DecodeNorm ln1, ln2;
  DecodeLinear query, key, value, proj, fc1, fc2;
  // Scratch: ln, q, k and v (rows x embDim), h (rows x hidden), mean and rstd (rows).
  float *ln, *q, *k, *v, *h, *mean, *rstd;
  const DecodeSegment* segments;
  long segmentCount;
};
void decodeBlock(const DecodeBlockArgs& p);
// hugePages: the probe's buffer on 2 MiB pages where the machine gives them (as adviseHugePages
// gives the weights), or on 4 KiB pages.
double readBandwidth(long bytes, int repeats, bool hugePages);
// The bytes per second of AdamW's memory pattern without its arithmetic: three arrays read and
// rewritten in place beside a fourth only read (7 x 4 bytes an element), `bytes` in all, on the
// kernels' threads, the best of `repeats` passes. On AMD's chiplets a core's reads and writes take
// separate links, so this exceeds the read bandwidth.
double updateBandwidth(long bytes, int repeats);
// Asks for 2 MiB pages under the memory of an array that is read again and again (decode weights):
// a stream over 4 KiB pages walks the page tables every 4 KiB. Returns how many of its bytes are
// on them.
size_t adviseHugePages(const void* data, size_t bytes);
// Whether the bf16 products use the AVX-512 BF16 dot-product instructions (vdpbf16ps).
bool hasAvx512Bf16();

namespace portable {
#include "decode_list.inc"
}  // namespace portable
namespace avx2 {
#include "decode_list.inc"
}  // namespace avx2
namespace avx512 {
#include "decode_list.inc"
}  // namespace avx512

// Causal self-attention for training and prefill (attention.cc). q, out and dq are
// (batch, tokens, heads * headDim); k, v, dk and dv (batch, tokens, kvHeads * headDim), query head h
// reading kv head h / (heads / kvHeads); lse (batch, heads, tokens). The forward reads q, k, v and
// writes out and lse; the backward reads those and dOut and writes dq, dk and dv.
struct AttentionArgs {
  const float* q;
  const float* k;
  const float* v;
  float* out;
  float* lse;
  const float* dOut;
  float* dq;
  float* dk;
  float* dv;
  long batch, tokens, heads, kvHeads, headDim;
  float scale;
};

void causalAttention(const AttentionArgs& p);
void causalAttentionBackward(const AttentionArgs& p);

namespace portable {
#include "attention_list.inc"
}  // namespace portable
namespace avx2 {
#include "attention_list.inc"
}  // namespace avx2
namespace avx512 {
#include "attention_list.inc"
}  // namespace avx512

namespace portable {
#include "kernel_list.inc"
}  // namespace portable

namespace avx2 {
#include "kernel_list.inc"
}  // namespace avx2

namespace avx512 {
#include "kernel_list.inc"
}  // namespace avx512

// Below these sizes a kernel stays on the calling thread: waking the pool costs a few
// microseconds, more than the work saves.
constexpr long kParallelElements = 1 << 15;
int threadsFor(double work);
// The same, for a loop of `tasks` parallel iterations: never more threads than iterations (an
// OpenMP team woken for one iteration only costs its wake-up, and competes with the decode pool).
int threadsFor(double work, long tasks);

}  // namespace llm
