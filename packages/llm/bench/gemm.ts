// `npm run bench:gemm`: our SGEMM beside numpy's (OpenBLAS) on the same shapes, at 1 and 2 threads.
//
//   node --import tsx bench/gemm.ts [--threads 1,2] [--pairs 9] [--shape M,K,N,TA,TB]...  [--json]
//
// --shape (repeatable) times the given products, any sizes, TA and TB 1 for a transposed operand,
// instead of the table's (a GPT-2-small training step's products and 2048^3: bench-gemm.ts).
//
// The two are timed in pairs: one run of ours (back-to-back calls lasting at least 100 ms), then
// one run of the peer, the next pair in the other order, and so on, shape after shape in turn.
// The ratio reported for a shape is the median of its pairs' ratios, so a burst of load on the
// shared machine lands inside one pair and moves one ratio, not a whole side of the comparison.
// With fewer threads than CPUs, the bench and its peer are pinned to the same first CPUs
// (bench/lib/cpu-pin.ts), so that both sides of a pair run on the same cores.
//
// The peer is `python3 bench/gemm_numpy.py`, kept running for a thread count and asked for one run
// at a time, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (the machine
// sets them to force the AVX2 kernel) and OPENBLAS_NUM_THREADS set to our thread count. When ours
// runs its AVX2 build on a CPU with AVX-512 (LLM_SCRATCH_ISA=avx2), the peer is held to AVX2 too,
// with OpenBLAS's Haswell kernels, so that both instruction sets can be compared on one machine.
// Without python3 and numpy, only ours is printed.
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  GEMM_SHAPES,
  gemmTimer,
  parseGemmShape,
  summarize,
  type GemmResult,
  type GemmShape,
} from '../src/backend/bench-gemm.js';
import { loadNative, nativeLoadError } from '../src/backend/native.js';
import { benchArgs, countArg } from './lib/args.js';
import { allowedCpus, pinProcess } from './lib/cpu-pin.js';
import { waitUntilIdle } from './lib/idle-threads.js';

const MIN_RUN_MS = 100;
// A pause after each side, and before each run of ours a wait until the peer's threads sleep:
// OpenBLAS's idle workers spin for about 140 ms after a product (bench/lib/idle-threads.ts); ours
// sleep within microseconds. Each run on either side begins with one untimed call, which wakes
// the sleeping threads (bench-gemm.ts, gemm_numpy.py).
const SETTLE_MS = 150;
const PEER_IDLE_TIMEOUT_MS = 2000;

const values = benchArgs(
  'bench:gemm',
  'npm run bench:gemm -- [--threads 1,2] [--pairs 9] [--shape M,K,N,TA,TB]... [--json]',
  {
    threads: { type: 'string', default: '1,2' },
    pairs: { type: 'string', default: '9' },
    shape: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
);
const threadCounts = values.threads.split(',').map((t) => countArg('bench:gemm', 'threads', t));
const pairs = countArg('bench:gemm', 'pairs', values.pairs);
const specOf = (s: GemmShape): string => [s.m, s.k, s.n, Number(s.transA), Number(s.transB)].join(',');
const shapeArg = (spec: string): GemmShape => {
  const shape = parseGemmShape(spec);
  if (!shape) {
    console.error(
      `bench:gemm: --shape takes M,K,N,TA,TB (sizes of at least 1; TA, TB 0 or 1), got '${spec}'`,
    );
    process.exit(2);
  }
  return shape;
};
const shapes = values.shape ? values.shape.map(shapeArg) : GEMM_SHAPES;

const native = loadNative();
if (!native) {
  console.error(
    `bench:gemm needs the native kernels, which are ${nativeLoadError()}; run \`npm run build:native\``,
  );
  process.exit(1);
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'gemm_numpy.py');

class Peer {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;

  constructor(threads: number, isa: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    if (isa === 'avx2+fma') env.OPENBLAS_CORETYPE = 'Haswell';
    this.child = spawn('python3', [script, String(MIN_RUN_MS)], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.reader = createInterface({ input: this.child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('bench:gemm: the numpy peer exited early');
    return JSON.parse(value) as Record<string, unknown>;
  }

  info(): Promise<Record<string, unknown>> {
    return this.next().then((line) => line.peer as Record<string, unknown>);
  }

  // Resolves once none of the peer's threads is running (or after PEER_IDLE_TIMEOUT_MS).
  async idle(): Promise<void> {
    await waitUntilIdle(this.child.pid!, PEER_IDLE_TIMEOUT_MS);
  }

  async run(shape: GemmShape): Promise<number> {
    this.child.stdin.write(specOf(shape) + '\n');
    return (await this.next()).gflops as number;
  }

  close(): void {
    this.reader.close();
    this.child.stdin.end();
  }
}

function peerProblem(): string | null {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'python3 with numpy was not found, so there is no peer to compare with';
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const problem = peerProblem();
if (problem) console.error(`bench:gemm: ${problem}; printing ours only.`);

const info = native.info();
console.error(
  `ours: native ${info.isa}, ${info.gemmKernel}, blocks ${JSON.stringify(info.gemmBlocks)}, ${info.gemmThreads} ` +
    // The probe gives up (0) when the second thread cannot run within its budget; it retries a second later.
    (info.coreLatencyNs > 0
      ? `(cores ${Math.round(info.coreLatencyNs)} ns apart)`
      : "(the cores' distance not measured yet)"),
);

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
const cpus = allowedCpus();
for (const threads of threadCounts) {
  // The peer, spawned after this, inherits the pinning.
  const pinnedTo =
    cpus && threads < cpus.length && pinProcess(cpus.slice(0, threads)) ? cpus.slice(0, threads) : null;
  if (pinnedTo) console.error(`threads ${threads}: both sides pinned to CPU ${pinnedTo.join(',')}`);
  native.setThreads(threads);
  const peer = problem ? null : new Peer(threads, info.isa);
  if (peer) {
    const described = await peer.info();
    peerInfo ??= described;
  }
  // Round robin: pair p of every shape before pair p + 1 of any, so that each shape's pairs are
  // spread over the whole run and a slow or fast spell of the machine touches every shape alike.
  const timers = shapes.map((shape) => gemmTimer(native, shape, MIN_RUN_MS));
  const ours: number[][] = shapes.map(() => []);
  const theirs: number[][] = shapes.map(() => []);
  const ratios: number[][] = shapes.map(() => []);
  for (let p = 0; p < pairs; p++) {
    for (const [i, shape] of shapes.entries()) {
      if (!peer) {
        ours[i].push(timers[i]());
        continue;
      }
      // Alternate which side goes first, so neither always follows the other's cache footprint.
      let o: number;
      let t: number;
      if (p % 2 === 0) {
        o = timers[i]();
        await sleep(SETTLE_MS);
        t = await peer.run(shape);
      } else {
        t = await peer.run(shape);
        await sleep(SETTLE_MS);
        await peer.idle();
        o = timers[i]();
      }
      await sleep(SETTLE_MS);
      await peer.idle();
      ours[i].push(o);
      theirs[i].push(t);
      ratios[i].push(o / t);
    }
  }
  for (const [i, shape] of shapes.entries()) {
    const o = summarize(shape, threads, ours[i]);
    const t = peer ? summarize(shape, threads, theirs[i]) : null;
    const ratio = peer ? Math.round(median(ratios[i]) * 100) / 100 : null;
    rows.push({ ours: o, peer: t, ratio });
    if (values.json) {
      console.log(JSON.stringify({ ...o, peer: t ? { gflops: t.gflops, best: t.best } : null, ratio }));
    } else {
      console.log(
        `${String(threads).padStart(7)} ${String(o.m).padStart(5)} ${String(o.k).padStart(6)} ${String(o.n).padStart(6)}  ` +
          `${layout(o).padEnd(7)}  ${o.gflops.toFixed(1).padStart(12)} ${o.best.toFixed(1).padStart(7)}  ` +
          `${t ? t.gflops.toFixed(1).padStart(12) : '-'.padStart(12)} ${t ? t.best.toFixed(1).padStart(7) : ''.padStart(7)}  ` +
          `${ratio === null ? '-' : ratio.toFixed(2)}`,
      );
    }
  }
  peer?.close();
  if (pinnedTo) pinProcess(cpus!);
}
native.setThreads(defaultThreads);

if (peerInfo) console.error(`peer: ${JSON.stringify({ ...peerInfo, threads: threadCounts.join(',') })}`);
for (const threads of threadCounts) {
  const mine = rows.filter((r) => r.ours.threads === threads && r.ratio !== null).map((r) => r.ratio!);
  if (mine.length === 0) continue;
  console.error(
    `threads ${threads}: ratio ours/numpy (median of ${pairs} paired runs per shape) min ${Math.min(...mine).toFixed(2)}, ` +
      `geometric mean ${Math.exp(mine.reduce((s, x) => s + Math.log(x), 0) / mine.length).toFixed(2)}`,
  );
}
