// SGEMM in the BLIS style: C[b] (m x n, row-major) = op(A[b]) @ op(B[b]) (+ C[b] when accumulate).
#pragma once

#include <cstdint>

namespace llm {

// What the product's last pass applies to each output tile while it is in L1:
//   C = act(op(A) @ op(B) [+ C] + bias) + residual
// bias is one float per column of C (null: none); act is GELU (tanh approximation, the book's)
// when gelu is set, the identity otherwise; preact, when set, receives act's input (what GELU's
// backward needs); residual (null: none) has C's layout. preact and residual follow C's batch
// stride and must not overlap C.
struct GemmEpilogue {
  const float* bias;
  bool gelu;
  float* preact;
  const float* residual;
  bool any() const { return bias || gelu || residual; }
};

struct GemmArgs {
  const float* a;
  const float* b;
  float* c;
  long batch, m, k, n;
  // op(A) = A^T when transA (A stored k x m); op(B) = B^T when transB (B stored n x k).
  bool transA, transB;
  // Elements between consecutive batch items; 0 broadcasts one matrix over the batch.
  long strideA, strideB, strideC;
  bool accumulate;
  GemmEpilogue epilogue;
  // B as bfloat16 bits instead of b (a weight kept in bf16): widened exactly while it is packed, so
  // the product is the float32 product of the bf16 values, at the float32 GEMM's speed.
  const uint16_t* bBf16 = nullptr;
};

void gemm(const GemmArgs& args);

// A register-blocked micro-kernel: C (mr x nr tile, row stride ldc) = [C +] Apanel @ Bpanel,
// where Apanel is kc columns of mr packed rows and Bpanel kc rows of nr packed columns.
using MicroKernel = void (*)(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);

// Packs `panels` full NR-wide panels of B whose rows are contiguous (row p at b + p*ld), NR
// floats of each row per panel. Optional (whole-vector copies); null falls back.
using PackB = void (*)(const float* b, long ld, long kc, long panels, float* dst);
// The same from bfloat16 bits, widened as they are packed (GemmArgs::bBf16). Optional, like packB.
using PackBBf16 = void (*)(const uint16_t* b, long ld, long kc, long panels, float* dst);
// Packs `panels` full NR-wide panels of op(B) = B^T, where column j of op(B) is the contiguous
// row b + j*ld of the stored matrix, kc long. Optional (vectorized transposes); null falls back.
using PackTransposedB = void (*)(const float* b, long ld, long kc, long panels, float* dst);
// The same from bfloat16 bits, widened as they are packed (GemmArgs::bBf16). Optional, like packBT.
using PackTransposedBBf16 = void (*)(const uint16_t* b, long ld, long kc, long panels, float* dst);
// Packs `panels` full MR-tall panels of A whose rows are contiguous (row i at a + i*lda), with
// up to 8 floats of overrun past the block (the buffers have the slack). Optional, like packBT.
using PackA = void (*)(const float* a, long lda, long kc, long panels, float* dst);
// Packs `panels` full MR-tall panels of op(A) = A^T, where column p of the panels is the
// contiguous row a + p*ld of the stored matrix. Optional, like packBT.
using PackTransposedA = void (*)(const float* a, long ld, long kc, long panels, float* dst);

// Applies a GemmEpilogue to a rows x cols piece of C (row stride ldc); bias, preact and
// residual point at the piece's own first element (bias at its first column).
using EpilogueFn = void (*)(const GemmEpilogue& e, float* c, long ldc, long rows, long cols);

struct GemmConfig {
  int mr, nr;      // register block: the micro-kernel's tile
  int mc, kc, nc;  // cache blocks: A block (mc x kc) lives in L2, B micro-panel (kc x nr) in L1
  MicroKernel kernel;
  PackA packA;
  PackTransposedA packAT;
  PackTransposedB packBT;
  const char* name;
  EpilogueFn epilogue;
  PackTransposedBBf16 packBTBf16 = nullptr;
  PackB packB = nullptr;
  PackBBf16 packBBf16 = nullptr;
};

// The configuration chosen for this CPU (instruction set and blocking).
const GemmConfig& gemmConfig();

// Per-ISA micro-kernels, each compiled with its own target attributes (gemm_*.cc).
bool avx512Kernel(GemmConfig* out);
bool avx2Kernel(GemmConfig* out);
void scalarKernel(GemmConfig* out);
// Whether the per-ISA configurations take their assembly micro-kernels (x86-64 with GCC or Clang):
// yes unless LLM_SCRATCH_GEMM_KERNEL=c asks for the C++ ones (the tests run both).
bool asmKernelWanted();
// The AVX2 kernel in assembly, which avx2Kernel picks (gemm_avx2_asm.cc; x86-64 with GCC or Clang).
void ukernelAvx2Asm6x16(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);
// The AVX-512 kernel in assembly, which avx512Kernel picks (gemm_avx512_asm.cc).
void ukernelAvx512Asm12x32(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);

}  // namespace llm
