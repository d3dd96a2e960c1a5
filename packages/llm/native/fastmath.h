// Vectorizable float math shared by the elementwise and nn kernels. Static: each translation unit
// keeps its own copy, compiled for its own instruction set (the AVX2 copies must never be merged
// with the portable ones by the linker).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace llm {

// exp for the softmax-style loops, written so the compiler vectorizes it (no libm call):
// exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln(2)/2, with Cephes' expf polynomial
// (about 1 ulp). Below -87.3 the result would be subnormal and is flushed to 0; above 88.3 it
// is +Infinity (a little early: every caller passes x <= 0); NaN stays NaN.
static inline float fastExp(float x) {
  const float xc = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
  // Round to nearest by the 1.5 * 2^23 trick: SSE2 has no vector floor.
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  float out = y * scale;
  out = x < -87.3f ? 0.0f : out;
  out = x > 88.3f ? INFINITY : out;
  return x != x ? x : out;
}

// sigmoid(z) and 1 - sigmoid(z), each without cancellation: exp(-|z|) never overflows, and
// whichever of the two is small is computed as a product rather than as 1 minus something.
static inline void sigmoidPair(float z, float* s, float* sc) {
  const float e = fastExp(-std::fabs(z));
  const float inv = 1.0f / (1.0f + e);
  *s = z >= 0 ? inv : e * inv;
  *sc = z >= 0 ? e * inv : inv;
}

// GELU with the tanh approximation, as x * sigmoid(2u) = 0.5 x (1 + tanh u): the same function,
// but 1 + tanh(u) in float loses the digits of the negative tail that the float64 reference keeps.
static inline float geluF(float x) {
  const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  float s, sc;
  sigmoidPair(2.0f * u, &s, &sc);
  return x * s;
}

}  // namespace llm
