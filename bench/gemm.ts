// `npm run bench:gemm`: our SGEMM beside numpy's (OpenBLAS) on the same shapes, at 1 and 2 threads,
// measured alternately shape by shape so that both see the same machine load (BENCHMARKS.md).
//
//   node --import tsx bench/gemm.ts [--threads 1,2] [--rounds 2] [--repeats 5] [--json]
//
// The peer runs as `python3 bench/gemm_numpy.py` with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
// removed from its environment (the machine sets them to force the AVX2 kernel) and
// OPENBLAS_NUM_THREADS set to our thread count. Without python3 and numpy, only ours is printed.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  GEMM_SHAPES,
  summarize,
  timeGemm,
  type GemmResult,
  type GemmShape,
} from '../src/backend/bench-gemm.js';
import { loadNative, nativeLoadError } from '../src/backend/native.js';

const MIN_RUN_MS = 100;

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const threadCounts = values.threads.split(',').map(Number);
const rounds = Number(values.rounds);
const repeats = Number(values.repeats);

const native = loadNative();
if (!native) {
  console.error(
    `bench:gemm needs the native kernels, which are ${nativeLoadError()}; run \`npm run build:native\``,
  );
  process.exit(1);
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'gemm_numpy.py');

function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

interface PeerRun {
  info: Record<string, unknown>;
  samples: number[];
}

function runPeer(shape: GemmShape, threads: number): PeerRun {
  const spec = [shape.m, shape.k, shape.n, Number(shape.transA), Number(shape.transB)].join(',');
  const out = execFileSync('python3', [script, String(repeats), String(MIN_RUN_MS), spec], {
    env: peerEnv(threads),
    encoding: 'utf8',
  });
  const [header, row] = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { info: header.peer as Record<string, unknown>, samples: row.samples as number[] };
}

function peerProblem(): string | null {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'python3 with numpy was not found, so there is no peer to compare with';
  }
}

const problem = peerProblem();
if (problem) console.error(`bench:gemm: ${problem}; printing ours only.`);

const info = native.info();
console.error(`ours: native ${info.isa}, ${info.gemmKernel}, blocks ${JSON.stringify(info.gemmBlocks)}`);

interface Row {
  ours: GemmResult;
  peer: GemmResult | null;
  ratio: number | null;
}

const rows: Row[] = [];
let peerInfo: Record<string, unknown> | null = null;
const defaultThreads = info.threads;
const layout = (s: GemmShape): string => `${s.transA ? 'A^T' : 'A'}${s.transB ? ' B^T' : ' B'}`;

if (!values.json) {
  console.log(
    `${'threads'.padStart(7)} ${'m'.padStart(5)} ${'k'.padStart(6)} ${'n'.padStart(6)}  ${'layout'.padEnd(7)}  ` +
      `${'ours GFLOPS'.padStart(12)} ${'(best)'.padStart(7)}  ${'numpy GFLOPS'.padStart(12)} ${'(best)'.padStart(7)}  ratio`,
  );
}
for (const threads of threadCounts) {
  native.setThreads(threads);
  for (const shape of GEMM_SHAPES) {
    const ours: number[] = [];
    const peer: number[] = [];
    // Alternate ours and the peer so that a burst of load on the shared machine hits both.
    for (let r = 0; r < rounds; r++) {
      ours.push(...timeGemm(native, shape, repeats, MIN_RUN_MS));
      if (!problem) {
        const run = runPeer(shape, threads);
        peerInfo ??= run.info;
        peer.push(...run.samples);
      }
    }
    const o = summarize(shape, threads, ours);
    const p = problem ? null : summarize(shape, threads, peer);
    const ratio = p ? Math.round((o.gflops / p.gflops) * 100) / 100 : null;
    rows.push({ ours: o, peer: p, ratio });
    if (values.json) {
      console.log(JSON.stringify({ ...o, peer: p ? { gflops: p.gflops, best: p.best } : null, ratio }));
    } else {
      console.log(
        `${String(threads).padStart(7)} ${String(o.m).padStart(5)} ${String(o.k).padStart(6)} ${String(o.n).padStart(6)}  ` +
          `${layout(o).padEnd(7)}  ${o.gflops.toFixed(1).padStart(12)} ${o.best.toFixed(1).padStart(7)}  ` +
          `${p ? p.gflops.toFixed(1).padStart(12) : '-'.padStart(12)} ${p ? p.best.toFixed(1).padStart(7) : ''.padStart(7)}  ` +
          `${ratio === null ? '-' : ratio.toFixed(2)}`,
      );
    }
  }
}
native.setThreads(defaultThreads);

if (peerInfo) console.error(`peer: ${JSON.stringify({ ...peerInfo, threads: threadCounts.join(',') })}`);
const ratios = rows.map((r) => r.ratio).filter((r): r is number => r !== null);
if (ratios.length > 0) {
  for (const threads of threadCounts) {
    const mine = rows.filter((r) => r.ours.threads === threads && r.ratio !== null).map((r) => r.ratio!);
    console.error(
      `threads ${threads}: ratio ours/numpy min ${Math.min(...mine).toFixed(2)}, ` +
        `geometric mean ${Math.exp(mine.reduce((s, x) => s + Math.log(x), 0) / mine.length).toFixed(2)}`,
    );
  }
}
