// decode.cc compiled a third time, for AVX-512, as llm::avx512 (decode_dispatch.cc picks it at run
// time). The bf16 dot-product path adds avx512bf16 on its own functions only, and runs only where
// the CPU reports it. The standard headers come first so that nothing they define is compiled for
// AVX-512.
#if defined(__x86_64__)
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

// GCC 12's AVX-512 headers fill "undefined" registers with `__Y = __Y`, which -Wuninitialized
// reports at every inlined use; the pattern is the headers' own and harmless.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")
#define LLM_KERNEL_NS avx512
#define LLM_DECODE_ISA 2
#include "decode.cc"
#pragma GCC pop_options
#endif
