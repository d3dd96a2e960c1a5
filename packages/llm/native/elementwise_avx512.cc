// elementwise.cc compiled a third time, for AVX-512, as llm::avx512 (dispatch.cc picks it at run
// time). The standard headers come first so that nothing they define is compiled for AVX-512.
#if defined(__x86_64__)
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")
#define LLM_KERNEL_NS avx512
#include "elementwise.cc"
#pragma GCC pop_options
#endif
