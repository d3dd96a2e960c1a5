// elementwise.cc compiled a second time, for AVX2+FMA, as llm::avx2 (dispatch.cc picks it at run
// time). The standard headers come first so that nothing they define is compiled for AVX2.
#if defined(__x86_64__)
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define LLM_KERNEL_NS avx2
#include "elementwise.cc"
#pragma GCC pop_options
#endif
