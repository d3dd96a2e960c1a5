// `llm-scratch train` in process: the book's printout, the JSON log, the checkpoint as a model
// directory, resume, and one-line errors for input that cannot train.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { writeFixtureModel } from '../helpers/gpt2-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const verdict = new URL('../../data/the-verdict.txt', import.meta.url).pathname;
// A tiny model on the verdict: 2 layers of 64 dims, the full GPT-2 vocabulary.
const tiny = [
  '--data',
  verdict,
  '--config',
  'gpt2-tiny',
  '--context-length',
  '32',
  '--no-plot',
  '--no-progress',
];

describe('llm-scratch train', () => {
  it("prints the book's evaluation lines, logs JSON and leaves a model directory", async () => {
    const out = join(dir, 'run');
    const log = join(dir, 'log.jsonl');
    const r = await runCli(llmScratch, [
      'train',
      ...tiny,
      '--stride',
      '96',
      '--batch-size',
      '8',
      '--epochs',
      '1',
      '--eval-freq',
      '5',
      '--eval-iter',
      '1',
      '--sample-tokens',
      '5',
      '--out',
      out,
      '--log-json',
      log,
    ]);
    expect(r.stderr).toContain('training');
    expect(r.code).toBe(0);
    // 48 windows of 32 every 96 tokens make 6 batches of 8: evaluations at steps 1 and 5.
    expect(r.stdout).toMatch(/^Ep 1 \(Step 000001\): Train loss \d+\.\d{3}, Val loss \d+\.\d{3}$/m);
    expect(r.stdout).toMatch(/^Ep 1 \(Step 000005\): /m);
    expect(r.stdout).toContain('Every effort moves you');
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ step: 1, epoch: 1, lr: 0.0004, tokensSeen: 256 });
    expect(lines[1]).toEqual({ step: 1, trainLoss: expect.any(Number), valLoss: expect.any(Number) });
    expect(lines.filter((l) => 'loss' in l)).toHaveLength(6);
    expect(existsSync(join(out, 'checkpoint', 'model.safetensors'))).toBe(true);
    const gen = await runCli(llmScratch, [
      'generate',
      '--model',
      join(out, 'checkpoint'),
      '--prompt',
      'Every effort',
      '--max-new-tokens',
      '3',
      '--json',
    ]);
    expect(gen.code).toBe(0);
    expect(JSON.parse(gen.stdout).newIds).toHaveLength(3);
    // Resuming a finished run with one more epoch continues from step 6.
    const more = await runCli(llmScratch, [
      'train',
      ...tiny,
      '--stride',
      '96',
      '--batch-size',
      '8',
      '--epochs',
      '2',
      '--max-steps',
      '8',
      '--eval-freq',
      '100',
      '--sample-tokens',
      '0',
      '--out',
      out,
      '--resume',
      out,
      '--log-json',
      log,
    ]);
    expect(more.code).toBe(0);
    const steps = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => 'loss' in l);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.at(-1)).toMatchObject({ epoch: 2, tokensSeen: 8 * 256 });
  }, 60_000);

  it.each([
    ['a missing file', ['--data', join(dir, 'nope.txt')], /--data .*nope\.txt: no such file/],
    ['an empty file', ['--data', 'EMPTY'], /the file is empty/],
    [
      'a text shorter than one window',
      ['--data', 'SHORT'],
      /the training part: \d+ tokens, fewer than one window of 32 \+ 1/,
    ],
    [
      'a batch larger than the data',
      ['--data', verdict, '--batch-size', '500'],
      /144 training windows of 32 tokens, fewer than one batch of 500/,
    ],
    [
      'a window longer than the model',
      ['--data', verdict, '--init', 'MODEL', '--context-length', '128'],
      /--context-length 128 is above the model's context length of 64/,
    ],
    [
      'a validation part too small',
      ['--data', verdict, '--train-ratio', '0.999'],
      /the validation part: \d+ tokens/,
    ],
    ['a resume without a checkpoint', ['--data', verdict, '--resume', 'EMPTYDIR'], /no trainer\.json/],
  ])('%s: one line, exit 1', async (_, args, message) => {
    const empty = join(dir, 'empty.txt');
    const short = join(dir, 'short.txt');
    writeFileSync(empty, '');
    writeFileSync(short, 'Every effort moves you, and then some more words to go on with.');
    const model = writeFixtureModel(join(dir, 'fixture-model'));
    const argv = args.map((a) => ({ EMPTY: empty, SHORT: short, MODEL: model, EMPTYDIR: dir })[a] ?? a);
    const base = ['--init', '--config', '--resume'].some((f) => argv.includes(f))
      ? []
      : ['--config', 'gpt2-tiny'];
    const window = argv.includes('--context-length') ? [] : ['--context-length', '32'];
    const r = await runCli(llmScratch, [
      'train',
      ...base,
      ...window,
      '--no-plot',
      '--no-progress',
      '--out',
      join(dir, 'bad'),
      ...argv,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('bad usage exits 2', async () => {
    expect((await runCli(llmScratch, ['train'])).code).toBe(2);
    expect((await runCli(llmScratch, ['train', '--data', verdict, '--batch-size', '0'])).code).toBe(2);
    expect((await runCli(llmScratch, ['train', '--data', verdict, '--lr', 'fast'])).code).toBe(2);
    const preset = await runCli(llmScratch, ['train', '--data', verdict, '--config', 'gpt9']);
    expect(preset.code).toBe(2);
    expect(preset.stderr).toMatch(/--config must be one of gpt2-small, .*, got 'gpt9'/);
  });
});
