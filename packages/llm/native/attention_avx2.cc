// attention.cc compiled a second time, for AVX2+FMA, as llm::avx2 (attention_dispatch.cc picks it
// at run time). The standard headers come first so that nothing they define is compiled for AVX2.
#if defined(__x86_64__)
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define LLM_KERNEL_NS avx2
#define LLM_ATTENTION_ISA 1
#include "attention.cc"
#pragma GCC pop_options
#endif
