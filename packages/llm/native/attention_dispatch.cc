// The entry points of the fused attention kernels: the AVX-512 build where the CPU has it,
// AVX2+FMA otherwise, the portable one when LLM_SCRATCH_ISA=scalar or on other CPUs.
#include "kernels.h"
#include "runtime.h"

namespace llm {

#if defined(__x86_64__)
#define ATTENTION(name)                                                  \
  (isa() == Isa::Avx512 ? avx512::name : isa() == Isa::Avx2 ? avx2::name \
                                                            : portable::name)
#else
#define ATTENTION(name) portable::name
#endif

void causalAttention(const AttentionArgs& p) { ATTENTION(causalAttention)(p); }
void causalAttentionBackward(const AttentionArgs& p) { ATTENTION(causalAttentionBackward)(p); }

}  // namespace llm
