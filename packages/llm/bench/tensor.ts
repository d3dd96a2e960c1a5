// The TypeScript backend's SGEMM throughput: the baseline the native kernels are measured against.
// Usage: npm run bench:tensor [-- --json]
import { tsKernels } from '../src/backend/ts/index.js';
import { benchArgs } from './lib/args.js';

const shapes: [number, number, number][] = [
  [512, 768, 768],
  [512, 768, 3072],
];
const { json } = benchArgs('bench:tensor', 'npm run bench:tensor -- [--json]', {
  json: { type: 'boolean', default: false },
});

function fill(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (const [m, k, n] of shapes) {
  const a = fill(m * k);
  const b = fill(k * n);
  const c = new Float32Array(m * n);
  const run = () =>
    tsKernels.matmul({
      a,
      b,
      c,
      batch: 1,
      m,
      k,
      n,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: false,
    });
  run();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  const flops = 2 * m * k * n;
  const result = {
    kernel: 'gemm',
    backend: 'ts',
    m,
    k,
    n,
    threads: 1,
    gflops: +(flops / median(times) / 1e9).toFixed(2),
    bestGflops: +(flops / Math.min(...times) / 1e9).toFixed(2),
  };
  if (json) console.log(JSON.stringify(result));
  else
    console.log(`ts gemm (${m}, ${k}, ${n}): ${result.gflops} GFLOPS median, ${result.bestGflops} best of 3`);
}
