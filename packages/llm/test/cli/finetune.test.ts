// `llm-scratch finetune-classifier` and `classify` end to end, CI-sized: a tiny GPT from random
// weights on a few hundred real SpamAssassin emails for a few dozen steps; the book's printout, the
// split CSVs read back, the classifier directory, and one-line errors for data that cannot train.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { runCli } from '../../../../test/helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'finetune-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = join(dir, 'spam');
const quick = ['--config', 'gpt2-tiny', '--no-plot', '--no-progress'];

describe('llm-scratch finetune-classifier', () => {
  it(
    'fine-tunes a tiny model on SpamAssassin: the loss falls and accuracy beats chance',
    { timeout: 240_000 },
    async () => {
      const r = await runCli(llmScratch, [
        'finetune-classifier',
        '--data',
        'spamassassin',
        ...quick,
        '--trainable',
        'all',
        '--limit',
        '300',
        '--max-length',
        '48',
        '--epochs',
        '3',
        '--lr',
        '1e-3',
        '--eval-freq',
        '10',
        '--out',
        out,
      ]);
      expect(r.stderr).toMatch(/read 6046 examples from SpamAssassin \(ham 4150, spam 1896\)/);
      expect(r.stderr).toMatch(/balanced by undersampling: 3792 examples \(ham 1896, spam 1896\)/);
      expect(r.stderr).toMatch(/warning: \d+ of 300 texts were longer than 48 tokens and were truncated/);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Ep 1 \(Step 000001\): Train loss \d\.\d{3}, Val loss \d\.\d{3}$/m);
      expect(r.stdout).toMatch(/^Training accuracy: \d+\.\d\d% \| Validation accuracy: \d+\.\d\d%$/m);
      expect(r.stdout).toMatch(/^Training completed in \d+\.\d\d minutes\.$/m);
      expect(r.stdout).toMatch(/^Test accuracy: \d+\.\d\d%$/m);
      const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
      expect(metrics.counts).toEqual({ train: 210, validation: 30, test: 60 });
      expect(metrics.steps).toBe(3 * 26);
      const losses: number[] = metrics.history.trainLosses;
      expect(losses.at(-1)).toBeLessThan(losses[0] * 0.8);
      expect(metrics.accuracy.train).toBeGreaterThan(0.7);
      expect(metrics.accuracy.test).toBeGreaterThan(0.65);
      for (const f of ['train.csv', 'validation.csv', 'test.csv', 'model.safetensors', 'config.json'])
        expect(existsSync(join(out, f)), f).toBe(true);
    },
  );

  it('classifies with the saved classifier: text, --file, --json', async () => {
    const one = await runCli(llmScratch, [
      'classify',
      '--model',
      out,
      'Meeting moved to 3pm, see the agenda',
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^(ham|spam) \(probability (0\.[5-9]\d\d|1\.000)\)\n$/);
    const file = join(dir, 'texts.txt');
    writeFileSync(file, 'FREE money!!! Click here now\n\nRe: patch for the build\n');
    const many = await runCli(llmScratch, ['classify', '--model', out, '--file', file, '--json']);
    expect(many.code, many.stderr).toBe(0);
    expect(many.stderr).toBe('skipped 1 empty line\n');
    const lines = many.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['label', 'probability']);
      expect(['ham', 'spam']).toContain(l.label);
      expect(l.probability).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('reads a written split back as --data and trains on exactly it', async () => {
    const again = join(dir, 'again');
    const r = await runCli(llmScratch, [
      'finetune-classifier',
      '--data',
      out,
      ...quick,
      '--max-length',
      '16',
      '--max-steps',
      '2',
      '--epochs',
      '1',
      '--json',
      '--out',
      again,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/read the split in .*: 210 training, 30 validation, 60 test examples/);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ steps: 2, labels: ['ham', 'spam'], maxLength: 16 });
    expect(readFileSync(join(again, 'test.csv'), 'utf8')).toBe(readFileSync(join(out, 'test.csv'), 'utf8'));
  });

  it('sizes a --config model to --context-length, so that --max-length can pass the preset', async () => {
    const longer = join(dir, 'longer');
    const args = ['finetune-classifier', '--data', out, ...quick, '--max-length', '72', '--max-steps', '1'];
    const tooLong = await runCli(llmScratch, [...args, '--out', longer]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/--max-length 72 is above the model's context length of 64/);

    const r = await runCli(llmScratch, [...args, '--context-length', '80', '--json', '--out', longer]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ steps: 1, maxLength: 72 });
    expect(JSON.parse(readFileSync(join(longer, 'config.json'), 'utf8')).n_positions).toBe(80);

    const fromModel = await runCli(llmScratch, [
      'finetune-classifier',
      '--data',
      out,
      '--model',
      out,
      '--context-length',
      '80',
      '--no-progress',
    ]);
    expect(fromModel.code).toBe(1);
    expect(fromModel.stderr).toMatch(/--context-length sizes a --config model; a --model keeps its own/);
  });

  it('scores a classifier on labelled data (--eval) and averages several classifiers', async () => {
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const scored = await runCli(llmScratch, ['classify', '--model', out, '--eval', out, '--json']);
    expect(scored.code, scored.stderr).toBe(0);
    expect(JSON.parse(scored.stdout)).toEqual({
      examples: 60,
      correct: Math.round(metrics.accuracy.test * 60),
      accuracy: metrics.accuracy.test,
    });

    const again = join(dir, 'again');
    const both = await runCli(llmScratch, ['classify', '--model', out, '--model', again, '--eval', out]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).toMatch(new RegExp(`^${out}: \\d+\\.\\d\\d% \\(\\d+ of 60\\)\\n${again}: `));
    expect(both.stdout).toMatch(/^accuracy \d+\.\d\d% \(\d+ of 60\) for the average of 2 classifiers\n$/);

    const text = 'FREE money!!! Click here now';
    const spamProbability = async (models: string[]): Promise<number> => {
      const r = await runCli(llmScratch, [
        'classify',
        ...models.flatMap((m) => ['--model', m]),
        text,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const { label, probability } = JSON.parse(r.stdout);
      return label === 'spam' ? probability : 1 - probability;
    };
    const [a, b, mean] = [
      await spamProbability([out]),
      await spamProbability([again]),
      await spamProbability([out, again]),
    ];
    expect(mean).toBeCloseTo((a + b) / 2, 6);

    const usage = await runCli(llmScratch, ['classify', '--model', out, '--eval', out, text]);
    expect(usage.code).toBe(2);
    const badLabel = join(dir, 'eggs.csv');
    writeFileSync(badLabel, 'text,label\nhello,ham\nscrambled,eggs\n');
    const bad = await runCli(llmScratch, ['classify', '--model', out, '--eval', badLabel]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/eggs\.csv:3: unknown label 'eggs' \(expected 'ham' or 'spam'\)/);
  });

  it('names the line of an unknown label, counts empty texts and rejects a single class', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'text,label\nhello there,ham\nbuy now,spam\nwhat,eggs\n');
    const bad = await runCli(llmScratch, [
      'finetune-classifier',
      '--data',
      csv,
      '--labels',
      'ham,spam',
      ...quick,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.csv:4: unknown label 'eggs' \(expected 'ham' or 'spam'\)/);

    const sms = join(dir, 'sms.tsv');
    const rows = Array.from(
      { length: 40 },
      (_, i) => `${i % 2 ? 'spam' : 'ham'}\t${i % 2 ? 'WIN a prize' : 'see you'} ${i}`,
    );
    writeFileSync(sms, [...rows, 'ham\t   ', 'spam\t'].join('\n') + '\n');
    const ok = await runCli(llmScratch, [
      'finetune-classifier',
      '--data',
      sms,
      ...quick,
      '--max-steps',
      '1',
      '--epochs',
      '1',
      '--out',
      join(dir, 'sms'),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(
      /read 40 examples from .*sms\.tsv \(ham 20, spam 20\); skipped 2 with an empty text/,
    );

    const single = join(dir, 'one.jsonl');
    writeFileSync(single, '{"text":"a","label":"ham"}\n{"text":"b","label":"ham"}\n');
    const one = await runCli(llmScratch, ['finetune-classifier', '--data', single, ...quick]);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/one\.jsonl: only one class \('ham'\); a classifier needs at least two/);

    const usage = await runCli(llmScratch, ['finetune-classifier', '--data', sms, '--trainable', 'some']);
    expect(usage.code).toBe(2);
  });

  it('trains LoRA adapters and the head only (appendix E) and saves the merged classifier', async () => {
    const lora = join(dir, 'lora');
    const r = await runCli(llmScratch, [
      'finetune-classifier',
      '--data',
      out,
      ...quick,
      '--lora-rank',
      '4',
      '--lora-alpha',
      '8',
      '--max-length',
      '16',
      '--max-steps',
      '3',
      '--epochs',
      '1',
      '--lr',
      '1e-2',
      '--json',
      '--out',
      lora,
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Per block: q, k, v and out_proj 4*(64*4 + 4*64), the feed-forward 2*(64*4 + 4*256); the head
    // Linear(64, 2) in full: 2 * 4608 + 130.
    expect(r.stderr).toMatch(
      /trainable: LoRA rank 4 alpha 8 adapters \+ the head: 9,346 of [\d,]+ parameters/,
    );
    expect(JSON.parse(r.stdout).trainableParameters).toBe(9346);
    const tensors = readSafetensors(join(lora, 'model.safetensors')).tensors;
    expect([...tensors.keys()].some((k) => k.includes('lora'))).toBe(false);
    // The adapters were folded in: the transformer's weights differ from the random start.
    const start = readSafetensors(join(out, 'model.safetensors')).tensors;
    expect(tensors.get('transformer.h.0.attn.c_attn.weight')!.f32()).not.toEqual(
      start.get('transformer.h.0.attn.c_attn.weight')!.f32(),
    );
    const c = await runCli(llmScratch, ['classify', '--model', lora, '--json', 'hello']);
    expect(c.code, c.stderr).toBe(0);
    expect(Object.keys(JSON.parse(c.stdout))).toEqual(['label', 'probability']);
  });
});
