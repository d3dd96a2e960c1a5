// `llm-scratch bench gemm`: SGEMM throughput of the native kernels on the products of a GPT-2
// training step. `npm run bench:gemm` runs the same shapes beside numpy (OpenBLAS).
// `llm-scratch bench generate`: decoding and prefill speed against the read-bandwidth limit.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GEMM_SHAPES } from '../../backend/bench-gemm.js';
import type { GemmResult } from '../../backend/bench-gemm.js';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { PRESETS } from '../../llm/presets.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { DTYPE_OPTION } from '../dtype-option.js';
import type { WeightDType } from '../../llm/decoder.js';
import type { GenerateBenchRun } from '../../llm/bench-generate.js';
import { resolveModelDir } from '../model-dir.js';

// The probe's best, and what each page size gave (the TypeScript backend has one figure).
function readGBs(r: GenerateBenchRun): string {
  const gb = (x: number) => (x / 1e9).toFixed(1);
  if (r.readBandwidthHugePages === null) return gb(r.readBandwidth);
  return `${gb(r.readBandwidth)} (${gb(r.readBandwidthSmallPages)} / ${gb(r.readBandwidthHugePages)})`;
}

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
        `native ${info.isa}, micro-kernel ${info.gemmKernel}, blocks ${JSON.stringify(info.gemmBlocks)}, ${info.gemmThreads}\n`,
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

export const benchGenerateCommand = defineCommand({
  name: 'bench generate',
  summary: 'Time decoding (KV cache) and prefill against the read-bandwidth limit measured in the same run',
  usage: '(--config PRESET | --model DIR) [options]',
  options: {
    config: {
      type: 'string',
      value: 'PRESET',
      choices: Object.keys(PRESETS),
      description: 'random-weight preset',
    },
    model: {
      type: 'string',
      value: 'DIR',
      description:
        'model directory in the Hugging Face layout (GPT-2, Llama 3, Qwen3, Gemma 3), or a run directory',
    },
    dtype: { ...DTYPE_OPTION, default: 'f32', description: 'weight type of the decode path' },
    tokens: { type: 'integer', value: 'N', default: 64, min: 1, description: 'tokens decoded per run' },
    'prompt-tokens': {
      type: 'integer',
      value: 'N',
      default: 256,
      min: 1,
      description: 'prompt length (prefill)',
    },
    threads: {
      type: 'integer',
      value: 'N',
      default: 0,
      min: 0,
      description: 'threads (0: the default, physical cores)',
    },
    runs: {
      type: 'integer',
      value: 'N',
      default: 3,
      min: 1,
      description: 'timed runs, one line each (after a warm-up)',
    },
    json: { type: 'boolean', description: 'print one JSON object per run on stdout' },
  },
  examples: [
    'llm-scratch bench generate --config gpt2-small --threads 2',
    'llm-scratch bench generate --model runs/verdict/final --dtype bf16 --json',
    'llm-scratch bench generate --model Qwen3-0.6B --dtype bf16 --prompt-tokens 64 --tokens 16',
  ],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if ((options.config === undefined) === (options.model === undefined)) {
      throw new UsageError('give exactly one of --config and --model');
    }
    // Loaded here, so that other commands start without them.
    const { loadNative } = await import('../../backend/native.js');
    const { loadModelDir } = await import('../../llm/families/gpt2.js');
    const { loadModel, readFamilyConfig } = await import('../../llm/families/load.js');
    const { benchGenerate } = await import('../../llm/bench-generate.js');
    const { GPTModel, presetConfig } = await import('../../llm/gpt.js');
    const { Rng } = await import('../../tensor/index.js');
    const dtype = options.dtype as WeightDType;
    const dir = options.model === undefined ? null : resolveModelDir(options.model);
    // GPT-2 (a hub directory or a run directory of this project) through its decoder; Llama 3,
    // Qwen3 and Gemma 3 through their modules, their matrices read in the type asked for.
    const hubFamily =
      dir && existsSync(join(dir, 'config.json')) ? readFamilyConfig(dir).family.name : 'gpt2';
    const model = dir
      ? hubFamily === 'gpt2'
        ? loadModelDir(dir)
        : loadModel(dir, { dtype })
      : new GPTModel({ ...presetConfig(options.config!), dropRate: 0 }, { rng: new Rng(123) });
    model.eval();
    const context = model.config.contextLength;
    if (options['prompt-tokens'] + options.tokens > context) {
      throw new UserError(
        `--prompt-tokens ${options['prompt-tokens']} + --tokens ${options.tokens} exceed the model's context length ${context}`,
      );
    }
    const native = loadNative();
    const previous = native?.info().threads;
    if (native) native.setThreads(options.threads);
    else if (options.threads > 1) stderr('bench generate: the TypeScript backend runs on one thread\n');
    try {
      if (!options.json) {
        stdout(
          'run  dtype  threads  prefill tok/s  decode tok/s  weights MB/token  read GB/s (4K / 2M pages)  limit tok/s  of limit  RSS MB\n',
        );
      }
      await benchGenerate(
        model,
        { dtype, tokens: options.tokens, promptTokens: options['prompt-tokens'], runs: options.runs },
        (r) => {
          if (options.json) {
            stdout(JSON.stringify(r) + '\n');
            return;
          }
          stdout(
            `${String(r.run).padStart(3)}  ${r.dtype.padEnd(5)}  ${String(r.threads).padStart(7)}  ` +
              `${r.prefillTokensPerSec.toFixed(1).padStart(13)}  ${r.tokensPerSec.toFixed(1).padStart(12)}  ` +
              `${(r.weightBytesPerToken / 1e6).toFixed(1).padStart(16)}  ${readGBs(r).padStart(25)}  ` +
              `${r.limitTokensPerSec.toFixed(1).padStart(11)}  ${(100 * r.bandwidthFraction).toFixed(0).padStart(7)}%  ${(r.rss / 1e6).toFixed(0).padStart(6)}\n`,
          );
        },
      );
    } finally {
      if (native && previous !== undefined) native.setThreads(previous);
    }
  },
});
