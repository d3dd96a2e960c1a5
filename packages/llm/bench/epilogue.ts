// The GEMM epilogue against the passes it replaces, on GPT-2-small's layer products (512 rows):
// one product with bias, GELU and the shortcut fused, then the same product followed by the
// separate bias add, GELU and residual add, alternately in one process so that load on a shared
// machine falls on both sides alike. Prints the median and best of each side and their ratio.
// --cpu times the process's CPU time (user + system, all threads) instead of the wall clock: on a
// machine shared by many, the time a side waits for a core is not its own.
//   node --import tsx bench/epilogue.ts [--threads N] [--pairs N] [--cpu]
import { benchArgs, countArg } from './lib/args.js';
import { median } from './lib/peer.js';
import type { MatmulParams } from '../src/backend/kernels.js';
import { loadNative, nativeLoadError } from '../src/backend/native.js';

const values = benchArgs(
  'bench/epilogue.ts',
  'node --import tsx bench/epilogue.ts [--threads 2] [--pairs 21] [--cpu]',
  {
    threads: { type: 'string', default: '2' },
    pairs: { type: 'string', default: '21' },
    cpu: { type: 'boolean', default: false },
  },
);
const native = loadNative();
if (!native) {
  console.error(`bench/epilogue.ts needs the native kernels, which are ${nativeLoadError()}`);
  process.exit(1);
}
native.setThreads(countArg('bench/epilogue.ts', 'threads', values.threads));
const pairs = countArg('bench/epilogue.ts', 'pairs', values.pairs);

const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.5);

// [label, m, k, n, gelu, residual]: FF up (bias + GELU), FF down (bias + shortcut), a projection (bias).
const cases: [string, number, number, number, boolean, boolean][] = [
  ['FF up    (512,768,3072)  bias+GELU', 512, 768, 3072, true, false],
  ['FF down  (512,3072,768)  bias+residual', 512, 3072, 768, false, true],
  ['qkv/proj (512,768,768)   bias', 512, 768, 768, false, false],
];

for (const [label, m, k, n, gelu, withResidual] of cases) {
  const base: MatmulParams = {
    a: fill(m * k),
    b: fill(n * k),
    c: new Float32Array(m * n),
    batch: 1,
    m,
    k,
    n,
    transA: false,
    transB: true,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    accumulate: false,
  };
  const bias = fill(n);
  const residual = withResidual ? fill(m * n) : null;
  const preact = gelu ? new Float32Array(m * n) : null;
  const fused = () => native.matmul({ ...base, bias, gelu, preact, residual });
  const tmp = new Float32Array(m * n);
  const out = new Float32Array(m * n);
  const unfused = () => {
    native.matmul({ ...base, c: tmp });
    native.binary('add', tmp, [n, 1], bias, [0, 1], out, [m, n]);
    if (gelu) native.unary('gelu', out, out);
    if (residual) native.binary('add', out, [n, 1], residual, [n, 1], out, [m, n]);
  };
  const time = (f: () => void) => {
    if (values.cpu) {
      const c0 = process.cpuUsage();
      f();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000;
    }
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  fused();
  unfused();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2) {
      a.push(time(fused));
      b.push(time(unfused));
    } else {
      b.push(time(unfused));
      a.push(time(fused));
    }
  }
  const ratios = a.map((x, i) => b[i] / x);
  console.log(
    `${label}: fused ${median(a).toFixed(2)} ms (best ${Math.min(...a).toFixed(2)}), unfused ${median(b).toFixed(2)} ms (best ${Math.min(...b).toFixed(2)}), unfused/fused ${median(ratios).toFixed(3)} (median of ${pairs} pairs)`,
  );
}
