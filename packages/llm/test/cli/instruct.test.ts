// Chapter 7's commands on a tiny model: finetune-instruct (full and LoRA, resume), respond, chat
// (stdin piped in), dpo, and one-line errors for bad records.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { readModelKind, saveModelDir } from '../../src/llm/families/gpt2.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';
import { Rng } from '../../src/tensor/index.js';
import { runCli } from '../../../../test/helpers/cli.js';

// Each test trains or generates with a 50,257-token head: minutes on a loaded machine.
const SLOW = 600_000;
const dir = mkdtempSync(join(tmpdir(), 'instruct-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = new URL('../..', import.meta.url).pathname;
const base = join(dir, 'base');
saveModelDir(base, new GPTModel({ ...presetConfig('gpt2-tiny'), dropRate: 0 }, { rng: new Rng(1) }));
// 40 records split 34 / 4 / 2 as the book's 85/10/5.
const data = join(dir, 'data.json');
writeFileSync(
  data,
  JSON.stringify(JSON.parse(readFileSync(join(root, 'data/instruction-data.json'), 'utf8')).slice(0, 40)),
);
const prefs = join(dir, 'prefs.jsonl');
writeFileSync(
  prefs,
  (JSON.parse(readFileSync(join(root, 'data/instruction-data-with-preference.json'), 'utf8')) as unknown[])
    .slice(0, 20)
    .map((r) => JSON.stringify(r))
    .join('\n'),
);
const common = ['--data', data, '--batch-size', '4', '--lr', '1e-3', '--eval-freq', '1', '--eval-iter', '1'];
const quiet = ['--no-plot', '--no-progress', '--json', '--respond-limit', '1', '--max-new-tokens', '4'];

interface Summary {
  firstValLoss: number;
  lastValLoss: number;
  trainable: number;
  total: number;
  modelDir: string;
  responsesFile: string;
  split: { train: number; test: number; val: number };
}

describe('llm-scratch finetune-instruct', { timeout: SLOW }, () => {
  const out = join(dir, 'full');

  it('lowers the validation loss, saves an instruct model and answers the test set', async () => {
    const r = await runCli(llmScratch, [
      'finetune-instruct',
      '--model',
      base,
      ...common,
      '--max-steps',
      '3',
      ...quiet,
      '--out',
      out,
    ]);
    expect(r.stderr).toContain('Ep 1 (Step 000003): Train loss');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.split).toEqual({ train: 34, test: 4, val: 2 });
    expect(s.lastValLoss).toBeLessThan(s.firstValLoss);
    expect(s.trainable).toBe(s.total);
    expect(readModelKind(s.modelDir)).toBe('instruct');
    const responses = JSON.parse(readFileSync(s.responsesFile, 'utf8')) as Record<string, string>[];
    expect(responses.length).toBe(1);
    expect(Object.keys(responses[0])).toEqual(['instruction', 'input', 'output', 'model_response']);
  });

  it('with LoRA trains a small share, resumes from its checkpoint and saves merged weights', async () => {
    const lora = join(dir, 'lora');
    const args = [
      'finetune-instruct',
      ...common,
      '--lora-rank',
      '2',
      '--lora-alpha',
      '4',
      ...quiet,
      '--out',
      lora,
    ];
    const first = await runCli(llmScratch, [...args, '--model', base, '--max-steps', '2']);
    expect(first.code).toBe(0);
    expect(existsSync(join(lora, 'checkpoint', 'lora.safetensors'))).toBe(true);
    const again = await runCli(llmScratch, [...args, '--resume', lora, '--max-steps', '3']);
    expect(again.stderr).toContain('1 steps to go');
    expect(again.code).toBe(0);
    const s = JSON.parse(again.stdout) as Summary;
    expect(s.trainable / s.total).toBeLessThan(0.05);
    // Rank 2: per block 4 attention projections 64->64 and the feed-forward 64->256->64; the head 64->50257.
    expect(s.trainable).toBe(2 * (4 * 2 * (64 + 64) + 2 * 2 * (64 + 256)) + 2 * (64 + 50257));
    expect(readModelKind(s.modelDir)).toBe('instruct');
    // The merged model is a plain one: respond loads it like any other.
    const r = await runCli(llmScratch, [
      'respond',
      '--model',
      s.modelDir,
      '--data',
      data,
      '--limit',
      '2',
      '--max-new-tokens',
      '3',
      '--no-progress',
      '--out',
      join(dir, 'r.json'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote 2 responses');
    expect((JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as unknown[]).length).toBe(2);
  });

  it('chat answers each piped line in the Alpaca format', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/llm-scratch.ts'),
        'chat',
        '--model',
        join(out, 'model'),
        '--max-new-tokens',
        '3',
      ],
      {
        input: 'Name a colour.\n/input 2 and 3\nAdd the numbers.\n/quit\nNever asked.\n',
        encoding: 'utf8',
        cwd: root,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/### Response:\n/g)?.length).toBe(2);
  });

  it('dpo starts at ln 2 with a zero margin and saves an instruct model', async () => {
    const r = await runCli(llmScratch, [
      'dpo',
      '--model',
      join(out, 'model'),
      '--data',
      prefs,
      '--batch-size',
      '2',
      '--max-steps',
      '1',
      '--eval-iter',
      '1',
      '--lr',
      '1e-3',
      '--no-progress',
      '--json',
      '--out',
      join(dir, 'dpo'),
    ]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as {
      before: { loss: number; margin: number };
      modelDir: string;
      steps: number;
    };
    expect(s.before.loss).toBeCloseTo(Math.LN2, 5);
    expect(s.before.margin).toBe(0);
    expect(s.steps).toBe(1);
    expect(readModelKind(s.modelDir)).toBe('instruct');
  });

  it('bad records are named by index; a context too short is refused', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify([{ instruction: 'a', output: 'b' }, { input: 'x', output: 'y' }, { instruction: 'c' }]),
    );
    const r = await runCli(llmScratch, ['finetune-instruct', '--model', base, '--data', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `llm-scratch finetune-instruct: ${bad}: record 1: 'instruction' missing or not a string; record 2: 'output' missing or not a string\n`,
    );
    const long = await runCli(llmScratch, [
      'finetune-instruct',
      '--model',
      base,
      '--data',
      data,
      '--allowed-max-length',
      '100',
    ]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain("--allowed-max-length 100 is above the model's context length of 64");
  });
});
