// bfloat16 bits and float32, one value at a time, as src/backend/bf16.ts does them. Static: the ISA
// translation units include this under their own target pragmas, and each keeps its own copy, so no
// AVX-compiled copy can stand in for the portable one at link time.
#pragma once

#include <cstdint>
#include <cstring>

namespace llm {

// Round to nearest even; a NaN keeps a mantissa bit so that it stays a NaN.
static inline uint16_t roundBf16(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((b >> 16) | 0x40);
  return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

// Exact.
static inline float widenBf16(uint16_t h) {
  const uint32_t b = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// A float32 weight as it is: code templated over the weight type calls one name for both.
static inline float widenBf16(float x) { return x; }

}  // namespace llm
