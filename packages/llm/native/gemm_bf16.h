// bf16 GEMM for mixed-precision training: C (f32) = op(A) @ op(B) (+ C) with both operands rounded
// to bfloat16 (round to nearest even, as torch.bfloat16) and every product accumulated in f32, as
// torch.autocast(bfloat16) runs a matmul on the CPU. The arguments are gemm.h's GemmArgs.
//
// Rounding happens while packing, so the operands are read once in f32, as the f32 GEMM reads them,
// and the B panels the micro-kernel streams hold bf16: half the bytes of an f32 panel. The packed
// layout pairs consecutive k (two bf16 in 32 bits per column), which is what AVX-512 BF16's
// vdpbf16ps multiplies; without it the micro-kernel widens a pair in registers (one shift, one
// mask) and multiplies in f32.
#pragma once

#include <cstdint>

#include "bf16.h"
#include "gemm.h"

namespace llm {

void gemmBf16(const GemmArgs& args);

// C (mr x nr tile, row stride ldc) = [C +] Apanel @ Bpanel over kc steps. Bpanel holds (kc + 1) / 2
// rows of nr bf16 pairs (k even in the low half, k odd in the high half; a missing last odd k is
// zero). Apanel is kc rows of mr floats already rounded to bf16 values, or, when the config says
// aPairs, (kc + 1) / 2 rows of mr bf16 pairs like B.
using Bf16MicroKernel = void (*)(long kc, const void* a, const uint16_t* b, float* c, long ldc, int accumulate);

// Packs n columns (element (j, p) at x[j*js + p*ps], p < kc) into panels of w columns of bf16
// pairs, as the micro-kernels take them: panel q at dst + q * w * 2 * ((kc + 1) / 2), zero past n
// and past kc. One of js and ps is 1, as in every layout of the GEMM's operands. Optional
// (vectorized rounding); null falls back to the portable packs.
using PackPairs = void (*)(int w, const float* x, long js, long ps, long n, long kc, uint16_t* dst);

struct Bf16GemmConfig {
  int mr, nr;
  int mc, kc, nc;
  bool aPairs;
  Bf16MicroKernel kernel;
  const char* name;
  PackPairs packPairs = nullptr;
};

const Bf16GemmConfig& bf16GemmConfig();

// Per-ISA micro-kernels (gemm_bf16_avx2.cc, gemm_bf16_avx512.cc); false when not compiled in.
bool bf16Avx512Kernel(Bf16GemmConfig* out);
bool bf16Avx2Kernel(Bf16GemmConfig* out);
// Where the CPU has AVX-512 BF16 (decode_dispatch.cc).
bool hasAvx512Bf16();

}  // namespace llm
