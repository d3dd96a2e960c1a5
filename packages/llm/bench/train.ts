// Training speed and memory: tokens/s of AdamW training steps and the peak RSS of the process, for
// gpt2-small (batch 2, context 256) and a small config (4 layers, 4 heads, 256 dims, context 128,
// batch 8, full GPT-2 vocabulary), side by side with the book's model in PyTorch
// (bench/train_torch.py) on the same threads. Each side runs in a child process of its own so that
// its peak RSS is its own. Dropout 0 on both (the same work per step). Random token ids.
// Beside the rate: model FLOP utilisation (the step's useful FLOPs, bench/lib/model-flops.ts, over
// the machine's float32 FMA peak measured by the native probe at the same threads in the same
// child), and the share of the step spent outside the GEMM kernel (other kernels and JavaScript).
// Usage: npm run bench:train [-- --threads N --steps N --only small|gpt2-small --precision f32|bf16 --profile]
// --precision bf16 also runs our steps with bf16 matrix products (train --precision bf16) and
// reports their tokens/s beside our f32 ones. --profile prints each of our children's table of
// kernels (stderr). Our side alone: node --import tsx bench/train.ts --child small --threads 1 --steps 4 --profile
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { kernels, nativeInUse } from '../src/backend/index.js';
import { loadNative } from '../src/backend/native.js';
import { GPTModel, type GPTConfig } from '../src/llm/gpt.js';
import { calcLossBatch } from '../src/llm/pretrain.js';
import { makeOptimizer } from '../src/llm/train/loop.js';
import { MATMUL_PRECISIONS, Rng, withMatmulPrecision, type MatmulPrecision } from '../src/tensor/index.js';
import { profileKernels } from './lib/kernel-profile.js';
import { modelFlopUtilisation, trainingFlopsPerToken } from './lib/model-flops.js';
import { benchArgs, choiceArg, countArg } from './lib/args.js';
import { hasTorch, median, runPeer } from './lib/peer.js';

interface Job {
  name: string;
  layers: number;
  heads: number;
  dim: number;
  context: number;
  batch: number;
}

const JOBS: Job[] = [
  { name: 'gpt2-small', layers: 12, heads: 12, dim: 768, context: 256, batch: 2 },
  { name: 'small', layers: 4, heads: 4, dim: 256, context: 128, batch: 8 },
];

const values = benchArgs(
  'bench:train',
  'npm run bench:train -- [--threads N] [--steps N] [--only small|gpt2-small] [--precision f32|bf16] [--child JOB --profile]',
  {
    threads: { type: 'string', default: '2' },
    steps: { type: 'string', default: '4' },
    only: { type: 'string' },
    precision: { type: 'string', default: 'f32' },
    child: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
);
const threads = countArg('bench:train', 'threads', values.threads);
// The first step is not timed.
const steps = countArg('bench:train', 'steps', values.steps, 2);
const precision = choiceArg('bench:train', 'precision', values.precision, MATMUL_PRECISIONS);

// How long the FMA-peak probe runs (five windows), after the steps.
const PEAK_PROBE_MS = 1000;

// The child: train `steps` steps of one job, print {tokensPerSecond, best, peakRssMB, mfu, ...}.
function child(job: Job): void {
  loadNative()?.setThreads(threads);
  const native = nativeInUse();
  const config: GPTConfig = {
    vocabSize: 50257,
    contextLength: job.context,
    embDim: job.dim,
    nHeads: job.heads,
    nLayers: job.layers,
    dropRate: 0,
    qkvBias: false,
  };
  const model = new GPTModel(config, { rng: new Rng(123) });
  const optimizer = makeOptimizer(model, {
    lr: 4e-4,
    weightDecay: 0.1,
    decayAll: true,
  } as Parameters<typeof makeOptimizer>[1]);
  const rng = new Rng(1);
  const ids = Int32Array.from({ length: job.batch * (job.context + 1) }, () => rng.int(0, 50257));
  const inputs = new Int32Array(job.batch * job.context);
  const targets = new Int32Array(job.batch * job.context);
  for (let b = 0; b < job.batch; b++) {
    inputs.set(ids.subarray(b * (job.context + 1), b * (job.context + 1) + job.context), b * job.context);
    targets.set(ids.subarray(b * (job.context + 1) + 1, (b + 1) * (job.context + 1)), b * job.context);
  }
  const times: number[] = [];
  // Every kernel is timed after the first step (which allocates); --profile prints the table to stderr.
  let profile: ReturnType<typeof profileKernels> | null = null;
  for (let s = 0; s < steps; s++) {
    if (s === 1) profile = profileKernels(kernels());
    const t0 = performance.now();
    optimizer.zeroGrad();
    calcLossBatch(model, { inputs, targets, shape: [job.batch, job.context] }).backward(undefined, {
      recycle: true,
    });
    optimizer.step();
    times.push((performance.now() - t0) / 1000);
  }
  const timed = times.slice(1).sort((a, b) => a - b); // the first step allocates the optimizer state
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  if (profile && values.profile) console.error(profile.report(median(timed), steps - 1));
  const rate = (s: number) => (job.batch * job.context) / s;
  const meanStepMs = (timed.reduce((a, b) => a + b, 0) / timed.length) * 1000;
  const kernelTotals = profile?.totals(steps - 1);
  const flopsPerToken = trainingFlopsPerToken({
    layers: job.layers,
    dim: job.dim,
    context: job.context,
    vocab: config.vocabSize,
  });
  const peak = native ? native.fmaPeak(threads, PEAK_PROBE_MS) : null;
  const tokensPerSecond = rate(median(timed));
  console.log(
    JSON.stringify({
      tokensPerSecond,
      best: rate(timed[0]),
      peakRssMB,
      backend: kernels().name,
      isa: native?.info().isa ?? 'ts',
      flopsPerToken,
      fmaPeakGflops: peak ? peak / 1e9 : null,
      mfu: peak ? modelFlopUtilisation(tokensPerSecond, flopsPerToken, peak) : null,
      // Shares of the mean step: in the GEMM kernel, and everywhere else (other kernels, JavaScript).
      stepMs: meanStepMs,
      gemmMs: kernelTotals?.gemmMs ?? null,
      kernelMs: kernelTotals?.kernelMs ?? null,
      outsideGemmShare: kernelTotals ? 1 - kernelTotals.gemmMs / meanStepMs : null,
      bf16Gemm: loadNative()?.info().bf16GemmKernel ?? 'ts reference',
    }),
  );
}

function ours(job: Job, precision: MatmulPrecision = 'f32'): Record<string, number | string | null> {
  const r = spawnSync(
    process.execPath,
    [
      // The parent's own flags (tsx, and the source condition that resolves llm-scratch-core to its sources).
      ...process.execArgv,
      import.meta.filename,
      '--child',
      job.name,
      '--threads',
      String(threads),
      '--steps',
      String(steps),
      '--precision',
      precision,
      ...(values.profile ? ['--profile'] : []),
    ],
    { encoding: 'utf8', maxBuffer: 16 << 20 },
  );
  // The child's kernel table (--profile) goes to its stderr.
  if (values.profile && r.status === 0) process.stderr.write(`${job.name} (${precision}):\n${r.stderr}`);
  if (r.status !== 0)
    throw new Error(`our ${job.name} child failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | string | null>;
}

const childJob = values.child;
for (const name of [values.child, values.only])
  if (name !== undefined && !JOBS.some((j) => j.name === name)) {
    console.error(`bench:train: no config '${name}'; the configs are ${JOBS.map((j) => j.name).join(', ')}`);
    process.exit(2);
  }
if (childJob) {
  await withMatmulPrecision(precision, async () => child(JOBS.find((j) => j.name === childJob)!));
} else {
  const only = values.only;
  const torch = hasTorch();
  if (!torch)
    console.log(
      'PyTorch not found at /usr/bin/python3 (apt-get install python3-torch libopenblas0-openmp): ours only',
    );
  console.log(`training, AdamW, dropout 0, ${threads} threads, ${steps} steps (first not timed), medians`);
  console.log(
    'config        ours tok/s  torch tok/s  ratio   ours RSS MB  torch RSS MB  ratio   MFU ours  torch  outside GEMM',
  );
  for (const job of JOBS.filter((j) => !only || j.name === only)) {
    const o = ours(job);
    const p = torch
      ? runPeer(
          join(import.meta.dirname, 'train_torch.py'),
          [
            'speed',
            ...['--layers', job.layers, '--heads', job.heads, '--dim', job.dim, '--context', job.context].map(
              String,
            ),
            ...['--batch', job.batch, '--steps', steps, '--threads', threads].map(String),
          ],
          threads,
        )[0]
      : null;
    const cell = (x: unknown, w: number, digits = 0) =>
      (typeof x === 'number' ? x.toFixed(digits) : '-').padStart(w);
    const ratio = (a: unknown, b: unknown) =>
      (typeof a === 'number' && typeof b === 'number' ? (a / b).toFixed(2) + 'x' : '-').padStart(7);
    // PyTorch's utilisation is judged against the peak our child measured on the same threads.
    const mfu = (tokens: unknown) =>
      typeof tokens === 'number' && typeof o.fmaPeakGflops === 'number'
        ? modelFlopUtilisation(tokens, Number(o.flopsPerToken), o.fmaPeakGflops * 1e9)
        : undefined;
    console.log(
      `${job.name.padEnd(12)}${cell(o.tokensPerSecond, 11)}${cell(p?.tokensPerSecond, 13)}${ratio(o.tokensPerSecond, p?.tokensPerSecond)}` +
        `${cell(o.peakRssMB, 14)}${cell(p?.peakRssMB, 14)}${ratio(o.peakRssMB, p?.peakRssMB)}` +
        `${cell(mfu(o.tokensPerSecond), 11, 2)}${cell(mfu(p?.tokensPerSecond), 7, 2)}${cell(o.outsideGemmShare, 14, 2)}` +
        `   (ours: ${o.backend}, ${o.isa}, FMA peak ${cell(o.fmaPeakGflops, 0)} GFLOPS)`,
    );
    if (precision === 'bf16') {
      const b = ours(job, 'bf16');
      console.log(
        `${(job.name + ' bf16').padEnd(12)}${cell(b.tokensPerSecond, 11)}   ${ratio(b.tokensPerSecond, o.tokensPerSecond)} of our f32${cell(b.peakRssMB, 14)} MB   (bf16 GEMM: ${String(b.bf16Gemm)})`,
      );
    }
  }
}
