// Paired SGEMM comparison against the OpenBLAS inside numpy, in one process: for each shape it
// alternates our gemm and cblas_sgemm call by call and reports the median of the per-pair time
// ratios, so a burst of load on a shared machine hits both sides of a pair. With CPUTIME=1 it
// times thread CPU time (1 thread only), which also removes preemption. Used to tune the blocking
// (docs/native-kernels.md); `npm run bench:gemm` remains the reported benchmark.
//
//   S="native/gemm.cc native/gemm_avx2.cc native/gemm_avx2_asm.cc native/gemm_avx512.cc native/gemm_avx512_asm.cc native/gemm_scalar.cc native/runtime.cc native/thread_distance.cc"
//   g++ -O3 -std=c++17 -fopenmp -Inative -Ibench $S bench/gemm_paired.cc -ldl -o /tmp/gemm_paired
//   export OBLAS=$(python3 -c "import numpy,os,glob;print(glob.glob(os.path.dirname(numpy.__file__)+'/../numpy.libs/*openblas*')[0])")
//   CPUTIME=1 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/gemm_paired THREADS PAIRS
//
// ONLY="512,768,768,00 ..." restricts the shapes (m,k,n,transA transB). Operands of 4 MiB or more lie
// on 2 MiB pages, as our tensors' (src/tensor/storage.ts) and numpy's arrays do; HUGE=0 leaves them
// on 4 KiB pages.
#include <cmath>
#include "gemm.h"
#include "gemm_shapes.h"
#include "runtime.h"
#include <dlfcn.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <algorithm>
using namespace llm;
typedef void (*sgemm_t)(int, int, int, long, long, long, float, const float*, long, const float*, long, float, float*, long);
#include <time.h>
#include <sys/mman.h>
#include <memory>

// n floats, 2 MiB-aligned, advised onto 2 MiB pages before the first write when 4 MiB or more.
struct Freed { void operator()(float* p) const { free(p); } };
static std::unique_ptr<float[], Freed> operand(size_t n) {
  const size_t huge = size_t(2) << 20, bytes = (n * sizeof(float) + huge - 1) / huge * huge;
  float* p = static_cast<float*>(aligned_alloc(huge, bytes));
  const char* env = getenv("HUGE");
  if (n * sizeof(float) >= 2 * huge && !(env && !strcmp(env, "0"))) madvise(p, bytes, MADV_HUGEPAGE);
  return std::unique_ptr<float[], Freed>(p);
}
static double now(){ if(getenv("CPUTIME")){timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t); return t.tv_sec+1e-9*t.tv_nsec;} return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
int main(int argc, char** argv){
  void* h = dlopen(getenv("OBLAS"), RTLD_NOW); if(!h){printf("%s\n",dlerror());return 1;}
  auto sgemm=(sgemm_t)dlsym(h,"scipy_cblas_sgemm64_");
  auto setth=(void(*)(int))dlsym(h,"scipy_openblas_set_num_threads64_");
  auto core=(char*(*)())dlsym(h,"scipy_openblas_get_corename64_");
  int nt = atoi(argv[1]); setth(nt); setThreads(nt);
  int pairs = atoi(argv[2]);
  printf("peer core %s, ours %s threads %d\n", core(), gemmConfig().name, nt);
  const char* only = getenv("ONLY");
  double logsum=0; int cnt=0;
  for(const BenchShape& s : benchShapes()){
    long m=s.m,k=s.k,n=s.n; bool ta=s.transA,tb=s.transB;
    const std::string tag = s.spec();
    if(only && !strstr(only, tag.c_str())) continue;
    auto A = operand(m * k), B = operand(k * n), C = operand(m * n);
    for (long i = 0; i < m * k; i++) A[i] = rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < k * n; i++) B[i] = rand() / (float)RAND_MAX - 0.5f;
    std::fill(C.get(), C.get() + m * n, 0.0f);
    GemmArgs g{A.get(),B.get(),C.get(),1,m,k,n,ta,tb,0,0,0,false};
    auto ours=[&]{gemm(g);};
    auto theirs=[&]{sgemm(101, ta?112:111, tb?112:111, m,n,k,1.0f,A.get(), ta?m:k, B.get(), tb?k:n, 0.0f, C.get(), n);};
    ours();theirs();ours();theirs();
    std::vector<double> r, to, tt;
    for(int p=0;p<pairs;p++){ double t0=now(); ours(); double t1=now(); theirs(); double t2=now(); to.push_back(t1-t0); tt.push_back(t2-t1); r.push_back((t2-t1)/(t1-t0)); }
    std::sort(r.begin(),r.end()); std::sort(to.begin(),to.end()); std::sort(tt.begin(),tt.end());
    double f=2.0*m*k*n/1e9;
    printf("%-22s ours %6.1f (best %6.1f)  peer %6.1f (best %6.1f)  paired ratio %.3f  best ratio %.3f\n", tag.c_str(), f/to[pairs/2], f/to[0], f/tt[pairs/2], f/tt[0], r[pairs/2], tt[0]/to[0]);
    logsum+=log(r[pairs/2]); cnt++;
  }
  printf("geomean paired ratio %.3f\n", exp(logsum/cnt));
}
