// SGEMM timing for `llm-scratch bench gemm` and `npm run bench:gemm`: the products of a GPT-2-small
// training step (batch x context = 512 rows, C = 768, 4C = 3072, V = 50257) and a square one,
// each forward and in the two layouts of its backward, on the native kernels.
import { emptyF32, zerosF32 } from '../tensor/storage.js';
import { loadNative, nativeLoadError, type NativeKernels } from './native.js';

export interface GemmShape {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

export interface GemmResult extends GemmShape {
  kernel: 'gemm';
  threads: number;
  // The median over the timed runs, and the best run.
  gflops: number;
  best: number;
}

// Forward products (M, K, N) = (B*T, C_in, C_out): attention/projection, MLP up, MLP down, the
// untied LM head, and a square reference point.
export const FORWARD_SHAPES: [number, number, number][] = [
  [512, 768, 768],
  [512, 768, 3072],
  [512, 3072, 768],
  [512, 768, 50257],
  [2048, 2048, 2048],
];

// C = A B (M x K times K x N) and its backward: dA = dC B^T (M x N times (K x N)^T) and
// dB = A^T dC ((M x K)^T times M x N). The transposes are read in place, never copied.
export function withBackward([m, k, n]: [number, number, number]): GemmShape[] {
  return [
    { m, k, n, transA: false, transB: false },
    { m, k: n, n: k, transA: false, transB: true },
    { m: k, k: m, n, transA: true, transB: false },
  ];
}

export const GEMM_SHAPES: GemmShape[] = FORWARD_SHAPES.flatMap(withBackward);

// A product written `M,K,N,TA,TB` (TA, TB: 1 for a transposed operand, else 0), as bench:gemm's
// --shape takes it and its numpy peer reads it; null when the text is not one.
export function parseGemmShape(spec: string): GemmShape | null {
  const parts = spec.split(',');
  if (parts.length !== 5 || parts.some((p) => !/^\d+$/.test(p))) return null;
  const [m, k, n, ta, tb] = parts.map(Number);
  if (m < 1 || k < 1 || n < 1 || ta > 1 || tb > 1) return null;
  return { m, k, n, transA: ta === 1, transB: tb === 1 };
}

export interface GemmBenchOptions {
  // Threads for the run; 0 or undefined keeps the default (physical cores or LLM_SCRATCH_THREADS).
  threads?: number;
  shapes?: GemmShape[];
  // Timed runs per shape (median and best are reported); each run lasts at least minRunMs.
  repeats?: number;
  minRunMs?: number;
}

function requireNative(): NativeKernels {
  const native = loadNative();
  if (!native) throw new Error(`the GEMM bench needs the native kernels, which are ${nativeLoadError()}`);
  return native;
}

function fillRandom(x: Float32Array, seed: number): Float32Array {
  // A cheap LCG: the values only need to be ordinary floats (no denormals, no zeros to skip).
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

// Prepares a product of `shape` (random operands, warmed up) and returns a function that times
// one run of it: enough back-to-back calls to last at least minRunMs, in GFLOPS.
export function gemmTimer(native: NativeKernels, shape: GemmShape, minRunMs: number): () => number {
  const { m, k, n, transA, transB } = shape;
  const params = {
    // From the tensor library's allocator, on the pages a tensor of that size gets.
    a: fillRandom(emptyF32(m * k), 1),
    b: fillRandom(emptyF32(k * n), 2),
    c: zerosF32(m * n),
    batch: 1,
    m,
    k,
    n,
    transA,
    transB,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    accumulate: false,
  };
  // Warm up (page in C, grow the packing buffers, wake the threads), then size a run so that
  // small products are timed over several calls.
  const t0 = performance.now();
  native.matmul(params);
  native.matmul(params);
  const once = Math.max((performance.now() - t0) / 2, 1e-3);
  const calls = Math.max(1, Math.ceil(minRunMs / once));
  const flops = 2 * m * k * n * calls;
  return () => {
    // One untimed call first: after an idle spell (a paired bench pauses between runs) the
    // worker threads sleep, and waking a sleeping vCPU took about 10 ms on the VMs here; the
    // cores' distance is also measured again on the first product after more than a second.
    native.matmul(params);
    const start = performance.now();
    for (let i = 0; i < calls; i++) native.matmul(params);
    return flops / ((performance.now() - start) * 1e6);
  };
}

export function timeGemm(
  native: NativeKernels,
  shape: GemmShape,
  repeats: number,
  minRunMs: number,
): number[] {
  const run = gemmTimer(native, shape, minRunMs);
  return Array.from({ length: repeats }, run);
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function summarize(shape: GemmShape, threads: number, samples: number[]): GemmResult {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    kernel: 'gemm',
    ...shape,
    threads,
    gflops: round1(sorted[Math.floor((sorted.length - 1) / 2)]),
    best: round1(sorted[sorted.length - 1]),
  };
}

export function runGemmBench(options: GemmBenchOptions = {}): GemmResult[] {
  const native = requireNative();
  const previous = native.info().threads;
  const threads = native.setThreads(options.threads ?? 0);
  try {
    return (options.shapes ?? GEMM_SHAPES).map((shape) =>
      summarize(shape, threads, timeGemm(native, shape, options.repeats ?? 5, options.minRunMs ?? 100)),
    );
  } finally {
    native.setThreads(previous);
  }
}
