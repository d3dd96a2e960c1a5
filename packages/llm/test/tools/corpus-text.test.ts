// tools/corpus-text.ts split-train: the pretraining text of a classifier split holds its training
// emails and none of its validation or test emails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSplit, type Example } from '../../src/llm/finetune/data.js';

const dir = mkdtempSync(join(tmpdir(), 'corpus-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const examples = (prefix: string, n: number): Example[] =>
  Array.from({ length: n }, (_, i) => ({
    text: `${prefix} email ${i}, "quoted", two\nlines`,
    label: i % 2 ? 'spam' : 'ham',
  }));

function corpusText(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'tools/corpus-text.ts', ...args], {
    encoding: 'utf8',
  });
}

describe('corpus-text split-train', () => {
  it('writes the training texts of a split and nothing of its validation or test parts', () => {
    writeSplit(dir, {
      train: examples('train', 5),
      validation: examples('validation', 2),
      test: examples('test', 3),
    });
    const out = join(dir, 'train.txt');
    const r = corpusText('split-train', dir, out);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n\n')).toEqual(examples('train', 5).map((e) => e.text));
    expect(text).not.toMatch(/validation|test/);
  });

  it('says how to call it when the split directory is missing', () => {
    const r = corpusText('split-train', join(dir, 'out.txt'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: tsx tools/corpus-text.ts');
  });

  it('names a split directory without train.csv in one line', () => {
    const r = corpusText('split-train', join(dir, 'nowhere'), join(dir, 'out.txt'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(join(dir, 'nowhere', 'train.csv'));
  });
});
