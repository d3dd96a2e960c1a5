// The acceptance commands on every family fixture, on both backends: `logits --all --json` within
// 1e-3 of the reference and `generate --temperature 0 --eos-id -1 --json` giving its greedy ids,
// in-process for every case and as real processes (LLM_SCRATCH_BACKEND=native|ts) for two.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { llmScratch } from '../../../src/cli/llm-scratch.js';
import { runCli } from '../../../../../test/helpers/cli.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { CASES, expected, FIXTURES as ROOT } from './fixture-cases.js';

const logitsArgs = (c: string) => [
  'logits',
  '--model',
  join(ROOT, c),
  '--ids',
  expected(c).ids.join(','),
  '--all',
  '--json',
];
const generateArgs = (c: string) => [
  'generate',
  '--model',
  join(ROOT, c),
  '--ids',
  expected(c).ids.join(','),
  '--max-new-tokens',
  '8',
  '--temperature',
  '0',
  '--eos-id',
  '-1',
  '--json',
];

function expectLogits(stdout: string, c: string): void {
  const rows = (JSON.parse(stdout) as { logits: number[][] }).logits;
  const want = expected(c).logits;
  expect(rows.length).toBe(want.length);
  let worst = 0;
  rows.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - want[i][j])))));
  expect(worst).toBeLessThan(1e-3);
}

describeEachBackend('family commands in-process', () => {
  for (const c of CASES) {
    it(`${c}: logits --all and greedy generate`, async () => {
      const logits = await runCli(llmScratch, logitsArgs(c));
      expect(logits.stderr).toBe('');
      expectLogits(logits.stdout, c);
      const gen = await runCli(llmScratch, generateArgs(c));
      expect(gen.code).toBe(0);
      expect(JSON.parse(gen.stdout).newIds).toEqual(expected(c).greedy);
    });
  }
});

describe('a model directory with tokenizer files beside a small random model', () => {
  it('generates from --ids whether or not the tokenizer fits the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'family-tokenizer-'));
    try {
      const model = join(dir, 'model');
      cpSync(join(ROOT, 'qwen3-f32'), model, { recursive: true });
      // A tokenizer that knows none of the model's ids (the real ones are far larger than 512).
      writeFileSync(
        join(model, 'tokenizer.json'),
        JSON.stringify({ version: '1.0', added_tokens: [], model: { type: 'BPE', vocab: {}, merges: [] } }),
      );
      writeFileSync(join(model, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|im_end|>' }));
      const gen = await runCli(
        llmScratch,
        generateArgs('qwen3-f32').map((a) => (a === join(ROOT, 'qwen3-f32') ? model : a)),
      );
      expect(gen.code).toBe(0);
      expect(JSON.parse(gen.stdout).newIds).toEqual(expected('qwen3-f32').greedy);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('info --config for the families', () => {
  it('prints the family, shape and the published parameter counts of the released configs', async () => {
    const llama = await runCli(llmScratch, ['info', '--config', 'llama-3.2-1b']);
    expect(llama.code).toBe(0);
    expect(llama.stdout).toContain('llama-3.2-1b: llama3 (model_type llama); layers 16, width 2048');
    expect(llama.stdout).toContain('parameters:            1,235,814,400');
    const qwen = JSON.parse((await runCli(llmScratch, ['info', '--config', 'qwen3-0.6b', '--json'])).stdout);
    expect(qwen).toMatchObject({
      family: 'qwen3',
      parameters: 596_049_920,
      parametersNonEmbedding: 440_467_456,
    });
    // Any config.json, or the directory that holds one.
    const dir = JSON.parse(
      (await runCli(llmScratch, ['info', '--config', join(ROOT, 'qwen3-f32'), '--json'])).stdout,
    );
    expect(dir.shape).toMatchObject({ layers: 2, headDim: 32, kvHeads: 2 });
  });

  it('info --model adds the weight files, checked against the config', async () => {
    const r = await runCli(llmScratch, [
      'info',
      '--model',
      join(ROOT, 'qwen3-untied-bf16-sharded'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ family: 'qwen3', tiedEmbeddings: false, parameters: 164_288 });
    expect(report.weights.files).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    // Every parameter stored once, as bf16.
    expect(report.weights).toMatchObject({ bytes: 2 * 164_288, dtypes: { BF16: 25 } });
  });
});

const exec = promisify(execFile);
const cli = (args: string[], backend: string) =>
  exec(process.execPath, ['--import', 'tsx', 'src/cli/llm-scratch.ts', ...args], {
    env: { ...process.env, LLM_SCRATCH_BACKEND: backend },
    timeout: 60_000,
  });

describe('family commands as real processes', () => {
  for (const [c, backend] of [
    ['llama3-bf16-sharded', 'native'],
    ['qwen3-f32', 'ts'],
  ] as const) {
    it(`${c} on ${backend}`, async () => {
      const [logits, gen] = await Promise.all([cli(logitsArgs(c), backend), cli(generateArgs(c), backend)]);
      expectLogits(logits.stdout, c);
      expect(JSON.parse(gen.stdout).newIds).toEqual(expected(c).greedy);
    }, 60_000);
  }
});
