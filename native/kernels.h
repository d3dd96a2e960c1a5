// The non-GEMM kernels on raw pointers, free of Node-API: each mirrors the function of the same
// name in src/backend/ts (the specification); addon.cc converts arguments and calls these.
#pragma once

#include <cstdint>

namespace llm {

// Strided kernels take rank, shape[rank] and strides[rank] in elements (stride 0 broadcasts).
constexpr int kMaxRank = 16;

enum class Unary { Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Relu, Gelu, Abs, Sign };
enum class Binary { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Gt, Ge, Lt };
enum class Reduce { Sum, Max, Min };

// Elementwise (elementwise.cc).
void unary(Unary op, const float* x, float* out, long n);
void binary(Binary op, const float* a, const long* aStrides, const float* b, const long* bStrides, float* out,
            const long* shape, int rank);
void where(const float* cond, const long* cStrides, const float* a, const long* aStrides, const float* b,
           const long* bStrides, float* out, const long* shape, int rank);
void affine(const float* x, float alpha, float beta, float* out, long n);
void fill32(uint32_t* out, uint32_t bits, long n);
// dst = src through strides; each buffer is float or int32 (srcInt / dstInt).
void copyStrided(const void* src, bool srcInt, const long* srcStrides, void* dst, bool dstInt,
                 const long* dstStrides, const long* shape, int rank);

// Reductions and indexing (reduce.cc).
void reduce(Reduce op, const float* x, long outer, long size, long inner, float* out);
void argReduce(bool wantMax, const float* x, long outer, long size, long inner, int32_t* out);
void indexSelect(const float* x, long outer, long size, long inner, const int32_t* idx, long count, float* out);
void indexAdd(const float* dy, long outer, long size, long inner, const int32_t* idx, long count, float* dx);
void gather(const float* x, long outer, long size, long inner, const int32_t* idx, long idxSize, float* out);
void scatterAdd(const float* dy, long outer, long size, long inner, const int32_t* idx, long idxSize, float* dx);

// Fused neural-network kernels (nn.cc).
void softmax(const float* x, long rows, long cols, float* out, bool log);
void softmaxBackward(const float* y, const float* dy, long rows, long cols, float* dx, bool log);
void layerNorm(const float* x, const float* gamma, const float* beta, long rows, long cols, float eps, float* out,
               float* mean, float* rstd);
void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                       long rows, long cols, float* dx, float* dgamma, float* dbeta);
void geluBackward(const float* x, const float* dy, float* dx, long n);
double crossEntropy(const float* logits, const int32_t* targets, long rows, long vocab, long ignoreIndex,
                    float* lse);
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, long rows, long vocab,
                          long ignoreIndex, float scale, float* dlogits);
struct AdamW {
  double lr, beta1, beta2, eps, weightDecay, step;
};
void adamw(float* param, const float* grad, float* m, float* v, long n, const AdamW& p);
double sumSquares(const float* x, long n);

// Below these sizes a kernel stays on the calling thread: waking the pool costs a few
// microseconds, more than the work saves.
constexpr long kParallelElements = 1 << 15;
int threadsFor(double work);

}  // namespace llm
