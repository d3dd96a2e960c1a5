// Process-wide runtime settings of the native kernels: the instruction set chosen at load
// time and the number of worker threads.
#pragma once

namespace llm {

enum class Isa { Scalar, Avx2, Avx512 };

// The best instruction set this CPU supports, or a lower one asked for with
// LLM_SCRATCH_ISA=scalar|avx2|avx512 (used by the tests to exercise every path a CPU can run).
Isa isa();
const char* isaName(Isa isa);

// Worker threads for the parallel kernels: the physical cores by default,
// LLM_SCRATCH_THREADS overrides, setThreads() changes it at run time (the GEMM bench's --threads).
int threads();
void setThreads(int n);

// The one-way latency in nanoseconds of a cache line passed between two worker threads, measured
// when asked unless a measurement is under a second old (thread_distance.cc; 0 when none could be
// made), and whether the workers' cores are near enough to share packed blocks: under 100 ns,
// unless LLM_SCRATCH_SHARED_CACHE=0|1 says otherwise.
double workerLatencyNs();
bool workersShareCache();

}  // namespace llm
