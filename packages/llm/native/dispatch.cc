// The entry points of the elementwise and nn kernels: each calls the AVX-512 build of its kernel
// where the CPU has it, the AVX2+FMA build where it has that (LLM_SCRATCH_ISA can ask for less),
// the portable one otherwise. Exp-heavy loops (softmax, cross-entropy, GELU) run twice as wide
// with AVX2, and twice again with AVX-512.
#include "kernels.h"
#include "runtime.h"

namespace llm {

#if defined(__x86_64__)
static Isa kernelIsa() {
  static const Isa chosen = isa();
  return chosen;
}
#define KERNEL(name) \
  (kernelIsa() == Isa::Avx512 ? avx512::name : kernelIsa() == Isa::Avx2 ? avx2::name : portable::name)
#else
#define KERNEL(name) portable::name
#endif

void unary(Unary op, const float* x, float* out, long n) { KERNEL(unary)(op, x, out, n); }
void binary(Binary op, const float* a, const long* as, const float* b, const long* bs, float* out, const long* shape,
            int rank) {
  KERNEL(binary)(op, a, as, b, bs, out, shape, rank);
}
void where(const float* cond, const long* cs, const float* a, const long* as, const float* b, const long* bs,
           float* out, const long* shape, int rank) {
  KERNEL(where)(cond, cs, a, as, b, bs, out, shape, rank);
}
void affine(const float* x, float alpha, float beta, float* out, long n) { KERNEL(affine)(x, alpha, beta, out, n); }
void fill32(uint32_t* out, uint32_t bits, long n) { KERNEL(fill32)(out, bits, n); }
void copyStrided(const void* src, bool srcInt, const long* ss, void* dst, bool dstInt, const long* ds,
                 const long* shape, int rank) {
  KERNEL(copyStrided)(src, srcInt, ss, dst, dstInt, ds, shape, rank);
}
void softmax(const float* x, long rows, long cols, float* out, bool log) { KERNEL(softmax)(x, rows, cols, out, log); }
void softmaxBackward(const float* y, const float* dy, long rows, long cols, float* dx, bool log) {
  KERNEL(softmaxBackward)(y, dy, rows, cols, dx, log);
}
void layerNorm(const float* x, const float* gamma, const float* beta, long rows, long cols, float eps, float* out,
               float* mean, float* rstd) {
  KERNEL(layerNorm)(x, gamma, beta, rows, cols, eps, out, mean, rstd);
}
void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                       long rows, long cols, float* dx, float* dgamma, float* dbeta) {
  KERNEL(layerNormBackward)(x, gamma, mean, rstd, dy, rows, cols, dx, dgamma, dbeta);
}
void rmsNorm(const float* x, const float* scale, long rows, long cols, float eps, bool unitOffset, float* out,
             float* rstd) {
  KERNEL(rmsNorm)(x, scale, rows, cols, eps, unitOffset, out, rstd);
}
void rmsNormBackward(const float* x, const float* scale, const float* rstd, const float* dy, long rows, long cols,
                     bool unitOffset, float* dx, float* dscale) {
  KERNEL(rmsNormBackward)(x, scale, rstd, dy, rows, cols, unitOffset, dx, dscale);
}
void rope(const float* x, const float* cos, const float* sin, const int32_t* angleRow, long rows, long hs, float* out,
          bool transpose) {
  KERNEL(rope)(x, cos, sin, angleRow, rows, hs, out, transpose);
}
void geluBackward(const float* x, const float* dy, float* dx, long n) { KERNEL(geluBackward)(x, dy, dx, n); }
double crossEntropy(const float* logits, const int32_t* targets, long rows, long vocab, long ignoreIndex,
                    float* lse) {
  return KERNEL(crossEntropy)(logits, targets, rows, vocab, ignoreIndex, lse);
}
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, long rows, long vocab,
                          long ignoreIndex, float scale, float* dlogits) {
  KERNEL(crossEntropyBackward)(logits, targets, lse, rows, vocab, ignoreIndex, scale, dlogits);
}
void adamw(float* param, const float* grad, float* m, float* v, long n, const AdamW& p) {
  KERNEL(adamw)(param, grad, m, v, n, p);
}
double sumSquares(const float* x, long n) { return KERNEL(sumSquares)(x, n); }

}  // namespace llm
