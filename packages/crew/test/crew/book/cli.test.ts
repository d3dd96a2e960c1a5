// The CLI contract: --json on stdout, one-line errors naming the input with exit 1, usage errors exit 2.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { llmCrew } from '../../../src/cli/llm-crew.js';
import { runProgram } from 'llm-scratch-core/cli/program';
import { CHAPTERS, makeBook, type Made } from './fixtures.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(llmCrew, argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('llm-crew book', () => {
  let book: Made;
  let dir: string;
  beforeAll(async () => {
    book = await makeBook({ chapters: CHAPTERS, outline: 'flat', labels: true, toc: false });
    dir = mkdtempSync(join(tmpdir(), 'crew-cli-'));
  });

  it('analyze --json --out prints and writes the structure', async () => {
    const out = join(dir, 'structure.json');
    const r = await run('book', 'analyze', book.path, '--json', '--out', out);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.format).toBe('llm-crew/book-structure');
    expect(s.entries.map((e: { title: string }) => e.title)).toContain('Chapter 3 Training Loops');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(s);
    const text = await run('book', 'analyze', book.path);
    expect(text.stdout).toContain('Chapter 1 Getting Started  [chapter, p. 1, PDF 5-7, outline]');
  });

  it('split and summarize with --json', async () => {
    const out = join(dir, 'chunks');
    const r = await run('book', 'split', book.path, '--by', 'chapter', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).chunks).toHaveLength(5);
    expect(r.stderr).toContain('5 chunks');
    const again = await run('book', 'split', book.path, '--max-pages', '8', '--out', out);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^\d+ chunks in /);
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ chunks: [{ entries: ['1', '2', '3'] }] }));
    expect((await run('book', 'split', book.path, '--by', 'plan', plan, '--out', out)).code).toBe(0);
    const s = await run('book', 'summarize', out, '--json');
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).chunks[0].listings.count).toBe(3);
  });

  it('user errors: exit 1, one line naming the input, no output directory', async () => {
    const notPdf = join(dir, 'notes.txt');
    writeFileSync(notPdf, 'hello');
    const out = join(dir, 'never');
    const r = await run('book', 'split', notPdf, '--by', 'chapter', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`llm-crew book split: ${notPdf}: not a PDF file (no %PDF- header)\n`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    const missing = await run('book', 'summarize', join(dir, 'nothing'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('usage errors: exit 2', async () => {
    expect((await run('book', 'analyze')).code).toBe(2);
    expect((await run('book', 'analyze', book.path, '--bogus')).code).toBe(2);
    expect((await run('book', 'split', book.path, '--by', 'chapter')).code).toBe(2);
    expect((await run('book', 'split', book.path, '--out', join(dir, 'x'))).code).toBe(2);
    expect((await run('book', 'split', book.path, '--by', 'verse', '--out', join(dir, 'x'))).code).toBe(2);
    expect((await run('book', 'split', book.path, '--max-pages', '0', '--out', join(dir, 'x'))).code).toBe(2);
    expect((await run('book', 'summarize')).code).toBe(2);
  });
});
