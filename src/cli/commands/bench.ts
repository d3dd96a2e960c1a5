// `llm-scratch bench gemm`: SGEMM throughput of the native kernels on the products of a GPT-2
// training step. `npm run bench:gemm` runs the same shapes beside numpy (OpenBLAS).
import { GEMM_SHAPES } from '../../backend/bench-gemm.js';
import type { GemmResult } from '../../backend/bench-gemm.js';
import { UserError } from '../../errors.js';
import { defineCommand } from '../command.js';

function layout(r: GemmResult): string {
  return `${r.transA ? 'A^T' : 'A'} ${r.transB ? 'B^T' : 'B'}`;
}

export const benchGemmCommand = defineCommand({
  name: 'bench gemm',
  summary: 'Time SGEMM on the native kernels (GPT-2 training shapes, forward and backward layouts)',
  options: {
    threads: {
      type: 'integer',
      description: 'threads (0: the default, physical cores)',
      default: 0,
      min: 0,
      value: 'N',
    },
    repeats: {
      type: 'integer',
      description: 'timed runs per shape (median and best reported)',
      default: 5,
      min: 1,
      value: 'N',
    },
    json: { type: 'boolean', description: 'print one JSON object per shape on stdout' },
  },
  examples: ['llm-scratch bench gemm', 'llm-scratch bench gemm --threads 1 --json'],
  async run({ options, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { runGemmBench } = await import('../../backend/bench-gemm.js');
    const { loadNative } = await import('../../backend/native.js');
    const native = loadNative();
    if (!native) throw new UserError('bench gemm needs the native kernels; run `npm run build:native`');
    const info = native.info();
    if (!options.json) {
      stderr(
        `native ${info.isa}, micro-kernel ${info.gemmKernel}, blocks ${JSON.stringify(info.gemmBlocks)}\n`,
      );
      stdout(
        `${'m'.padStart(5)} ${'k'.padStart(6)} ${'n'.padStart(6)}  layout   threads  GFLOPS (median)   best\n`,
      );
    }
    // One shape at a time, so each line appears as soon as it is measured.
    for (const shape of GEMM_SHAPES) {
      const [r] = runGemmBench({ threads: options.threads, shapes: [shape], repeats: options.repeats });
      if (options.json) {
        stdout(JSON.stringify(r) + '\n');
      } else {
        stdout(
          `${String(r.m).padStart(5)} ${String(r.k).padStart(6)} ${String(r.n).padStart(6)}  ${layout(r).padEnd(7)}  ` +
            `${String(r.threads).padStart(7)}  ${r.gflops.toFixed(1).padStart(15)}  ${r.best.toFixed(1).padStart(6)}\n`,
        );
      }
    }
  },
});
