// Elementwise kernels: unary maps, broadcasting binaries and where, affine, fill, strided copy.
// Broadcasting reaches us as strides (0 on a broadcast axis); the fast paths are the layouts
// a GPT step produces: both operands contiguous, one a scalar, one a row repeated over rows.
#include <algorithm>
#include <cmath>
#include <omp.h>

#include <cstring>

#include "fastmath.h"
#include "kernels.h"
#include "runtime.h"

#ifndef LLM_KERNEL_NS
#define LLM_KERNEL_NS portable
#endif

// Compiled twice: as llm::portable here and as llm::avx2 by elementwise_avx2.cc.
namespace llm::LLM_KERNEL_NS {

// f(i) for i in [0, n): blocks of 4096 split among threads, each block a plain loop that GCC
// vectorizes (a parallel loop over single elements through a shared closure it does not).
template <class F>
static void mapN(long n, F f) {
  constexpr long kBlock = 4096;
  const long blocks = (n + kBlock - 1) / kBlock;
  const int nt = threadsFor(static_cast<double>(n));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long blk = 0; blk < blocks; blk++) {
    const long i1 = std::min(n, (blk + 1) * kBlock);
#pragma omp simd
    for (long i = blk * kBlock; i < i1; i++) f(i);
  }
}

void unary(Unary op, const float* x, float* out, long n) {
  switch (op) {
    case Unary::Neg:
      return mapN(n, [=](long i) { out[i] = -x[i]; });
    case Unary::Exp:
      return mapN(n, [=](long i) { out[i] = std::exp(x[i]); });
    case Unary::Log:
      return mapN(n, [=](long i) { out[i] = std::log(x[i]); });
    case Unary::Sqrt:
      return mapN(n, [=](long i) { out[i] = std::sqrt(x[i]); });
    case Unary::Rsqrt:
      return mapN(n, [=](long i) { out[i] = 1.0f / std::sqrt(x[i]); });
    case Unary::Tanh:
      return mapN(n, [=](long i) { out[i] = std::tanh(x[i]); });
    case Unary::Relu:
      return mapN(n, [=](long i) { out[i] = x[i] > 0.0f ? x[i] : 0.0f; });
    case Unary::Gelu:
      return mapN(n, [=](long i) { out[i] = geluF(x[i]); });
    case Unary::Abs:
      return mapN(n, [=](long i) { out[i] = std::fabs(x[i]); });
    case Unary::Sign:
      // Math.sign: NaN stays NaN, zeros keep their sign.
      return mapN(n, [=](long i) {
        const float v = x[i];
        out[i] = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v;
      });
    case Unary::Silu:
      return mapN(n, [=](long i) { out[i] = x[i] / (1.0f + std::exp(-x[i])); });
  }
}

template <Binary OP>
static inline float apply(float a, float b) {
  if constexpr (OP == Binary::Add) return a + b;
  if constexpr (OP == Binary::Sub) return a - b;
  if constexpr (OP == Binary::Mul) return a * b;
  if constexpr (OP == Binary::Div) return a / b;
  if constexpr (OP == Binary::Pow) return std::pow(a, b);
  // NaN propagates from either side, as in the reference (and torch.maximum).
  if constexpr (OP == Binary::Maximum) return (a >= b || std::isnan(a)) ? a : b;
  if constexpr (OP == Binary::Minimum) return (a <= b || std::isnan(a)) ? a : b;
  if constexpr (OP == Binary::Eq) return a == b ? 1.0f : 0.0f;
  if constexpr (OP == Binary::Gt) return a > b ? 1.0f : 0.0f;
  if constexpr (OP == Binary::Ge) return a >= b ? 1.0f : 0.0f;
  if constexpr (OP == Binary::Lt) return a < b ? 1.0f : 0.0f;
  return 0.0f;
}

static bool contiguous(const long* strides, const long* shape, int rank) {
  long expected = 1;
  for (int d = rank - 1; d >= 0; d--) {
    if (shape[d] != 1 && strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

static bool allZero(const long* strides, int rank) {
  for (int d = 0; d < rank; d++)
    if (strides[d] != 0) return false;
  return true;
}

// Drops size-1 axes and merges axes that are contiguous with each other in every operand, so
// most broadcasts become rank 1 or 2 before the odometer runs.
static int simplify(long* shape, int rank, long** strides, int nOps) {
  int out = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (out > 0) {
      bool merge = true;
      for (int s = 0; s < nOps; s++)
        if (strides[s][out - 1] != strides[s][d] * shape[d]) merge = false;
      if (merge) {
        shape[out - 1] *= shape[d];
        for (int s = 0; s < nOps; s++) strides[s][out - 1] = strides[s][d];
        continue;
      }
    }
    shape[out] = shape[d];
    for (int s = 0; s < nOps; s++) strides[s][out] = strides[s][d];
    out++;
  }
  if (out == 0) {
    shape[0] = 1;
    for (int s = 0; s < nOps; s++) strides[s][0] = 0;
    out = 1;
  }
  return out;
}

// Calls row(rowIndex, bases[]) for every run of the last axis; rows are split among threads,
// each thread decoding its first row's multi-index once and then stepping the odometer.
template <int N, class Row>
static void forEachRow(const long* shape, int rank, long* const* strides, Row row) {
  long rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  const long last = shape[rank - 1];
  const int nt = threadsFor(static_cast<double>(rows) * last);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = nt > 1 ? omp_get_thread_num() : 0;
    const long r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    long index[kMaxRank];
    long base[N];
    for (int s = 0; s < N; s++) base[s] = 0;
    long rem = r0;
    for (int d = rank - 2; d >= 0; d--) {
      index[d] = rem % shape[d];
      rem /= shape[d];
      for (int s = 0; s < N; s++) base[s] += index[d] * strides[s][d];
    }
    for (long r = r0; r < r1; r++) {
      row(r * last, base);
      for (int d = rank - 2; d >= 0; d--) {
        index[d]++;
        for (int s = 0; s < N; s++) base[s] += strides[s][d];
        if (index[d] < shape[d]) break;
        for (int s = 0; s < N; s++) base[s] -= strides[s][d] * shape[d];
        index[d] = 0;
      }
    }
  }
}

template <Binary OP>
static void binaryOp(const float* a, const long* aStridesIn, const float* b, const long* bStridesIn, float* out,
                     const long* shapeIn, int rankIn) {
  long shape[kMaxRank], as[kMaxRank], bs[kMaxRank];
  long n = 1;
  for (int d = 0; d < rankIn; d++) {
    shape[d] = shapeIn[d];
    as[d] = aStridesIn[d];
    bs[d] = bStridesIn[d];
    n *= shape[d];
  }
  if (n == 0) return;
  if (rankIn == 0) {
    out[0] = apply<OP>(a[0], b[0]);
    return;
  }
  const bool aFull = contiguous(as, shape, rankIn), bFull = contiguous(bs, shape, rankIn);
  if (aFull && bFull) return mapN(n, [=](long i) { out[i] = apply<OP>(a[i], b[i]); });
  if (aFull && allZero(bs, rankIn)) {
    const float bv = b[0];
    return mapN(n, [=](long i) { out[i] = apply<OP>(a[i], bv); });
  }
  if (bFull && allZero(as, rankIn)) {
    const float av = a[0];
    return mapN(n, [=](long i) { out[i] = apply<OP>(av, b[i]); });
  }
  long* strides[2] = {as, bs};
  const int rank = simplify(shape, rankIn, strides, 2);
  const long last = shape[rank - 1];
  forEachRow<2>(shape, rank, strides, [&](long o, const long* base) {
    const float* pa = a + base[0];
    const float* pb = b + base[1];
    float* po = out + o;
    const long sa = as[rank - 1], sb = bs[rank - 1];
    // The row-broadcast paths (bias add, LayerNorm-style scaling) vectorize as contiguous loops.
    if (sa == 1 && sb == 1) {
      for (long j = 0; j < last; j++) po[j] = apply<OP>(pa[j], pb[j]);
    } else if (sa == 1 && sb == 0) {
      const float bv = pb[0];
      for (long j = 0; j < last; j++) po[j] = apply<OP>(pa[j], bv);
    } else if (sa == 0 && sb == 1) {
      const float av = pa[0];
      for (long j = 0; j < last; j++) po[j] = apply<OP>(av, pb[j]);
    } else {
      for (long j = 0; j < last; j++) po[j] = apply<OP>(pa[j * sa], pb[j * sb]);
    }
  });
}

void binary(Binary op, const float* a, const long* as, const float* b, const long* bs, float* out, const long* shape,
            int rank) {
  switch (op) {
    case Binary::Add:
      return binaryOp<Binary::Add>(a, as, b, bs, out, shape, rank);
    case Binary::Sub:
      return binaryOp<Binary::Sub>(a, as, b, bs, out, shape, rank);
    case Binary::Mul:
      return binaryOp<Binary::Mul>(a, as, b, bs, out, shape, rank);
    case Binary::Div:
      return binaryOp<Binary::Div>(a, as, b, bs, out, shape, rank);
    case Binary::Pow:
      return binaryOp<Binary::Pow>(a, as, b, bs, out, shape, rank);
    case Binary::Maximum:
      return binaryOp<Binary::Maximum>(a, as, b, bs, out, shape, rank);
    case Binary::Minimum:
      return binaryOp<Binary::Minimum>(a, as, b, bs, out, shape, rank);
    case Binary::Eq:
      return binaryOp<Binary::Eq>(a, as, b, bs, out, shape, rank);
    case Binary::Gt:
      return binaryOp<Binary::Gt>(a, as, b, bs, out, shape, rank);
    case Binary::Ge:
      return binaryOp<Binary::Ge>(a, as, b, bs, out, shape, rank);
    case Binary::Lt:
      return binaryOp<Binary::Lt>(a, as, b, bs, out, shape, rank);
  }
}

void where(const float* cond, const long* csIn, const float* a, const long* asIn, const float* b, const long* bsIn,
           float* out, const long* shapeIn, int rankIn) {
  long shape[kMaxRank], cs[kMaxRank], as[kMaxRank], bs[kMaxRank];
  long n = 1;
  for (int d = 0; d < rankIn; d++) {
    shape[d] = shapeIn[d];
    cs[d] = csIn[d];
    as[d] = asIn[d];
    bs[d] = bsIn[d];
    n *= shape[d];
  }
  if (n == 0) return;
  if (rankIn == 0) {
    out[0] = cond[0] != 0.0f ? a[0] : b[0];
    return;
  }
  long* strides[3] = {cs, as, bs};
  const int rank = simplify(shape, rankIn, strides, 3);
  const long last = shape[rank - 1];
  const long sc = cs[rank - 1], sa = as[rank - 1], sb = bs[rank - 1];
  forEachRow<3>(shape, rank, strides, [&](long o, const long* base) {
    const float* pc = cond + base[0];
    const float* pa = a + base[1];
    const float* pb = b + base[2];
    float* po = out + o;
    for (long j = 0; j < last; j++) po[j] = pc[j * sc] != 0.0f ? pa[j * sa] : pb[j * sb];
  });
}

void affine(const float* x, float alpha, float beta, float* out, long n) {
  mapN(n, [=](long i) { out[i] = x[i] * alpha + beta; });
}

void fill32(uint32_t* out, uint32_t bits, long n) {
  mapN(n, [=](long i) { out[i] = bits; });
}

template <class S, class D>
static void copyStridedT(const S* src, const long* ssIn, D* dst, const long* dsIn, const long* shapeIn, int rankIn) {
  long shape[kMaxRank], ss[kMaxRank], ds[kMaxRank];
  long n = 1;
  for (int d = 0; d < rankIn; d++) {
    shape[d] = shapeIn[d];
    ss[d] = ssIn[d];
    ds[d] = dsIn[d];
    n *= shape[d];
  }
  if (n == 0) return;
  if (rankIn == 0) {
    dst[0] = static_cast<D>(src[0]);
    return;
  }
  // Concat and stack write strided slabs of the destination, transposes read strided sources:
  // both operands go through strides, merged where they allow it.
  long* strides[2] = {ss, ds};
  const int rank = simplify(shape, rankIn, strides, 2);
  const long last = shape[rank - 1];
  const long sl = ss[rank - 1], dl = ds[rank - 1];
  forEachRow<2>(shape, rank, strides, [&](long, const long* base) {
    const S* ps = src + base[0];
    D* pd = dst + base[1];
    if (sl == 1 && dl == 1) {
      for (long j = 0; j < last; j++) pd[j] = static_cast<D>(ps[j]);
    } else {
      for (long j = 0; j < last; j++) pd[j * dl] = static_cast<D>(ps[j * sl]);
    }
  });
}

void copyStrided(const void* src, bool srcInt, const long* ss, void* dst, bool dstInt, const long* ds,
                 const long* shape, int rank) {
  // Same-type copies move bits (a float NaN payload or an int survives unchanged); mixed
  // copies convert values, as assigning between JS typed arrays does.
  if (srcInt == dstInt)
    return copyStridedT(static_cast<const uint32_t*>(src), ss, static_cast<uint32_t*>(dst), ds, shape, rank);
  if (srcInt)
    return copyStridedT(static_cast<const int32_t*>(src), ss, static_cast<float*>(dst), ds, shape, rank);
  // float -> int32 as Int32Array assignment: truncation (NaN and infinities become 0 there;
  // out-of-range values are not a case the tensor library produces).
  copyStridedT(static_cast<const float*>(src), ss, static_cast<int32_t*>(dst), ds, shape, rank);
}

}  // namespace llm::LLM_KERNEL_NS
