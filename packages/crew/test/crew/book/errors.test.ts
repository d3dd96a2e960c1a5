import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBook } from '../../../src/crew/book/analyze.js';
import { BookError } from '../../../src/crew/book/errors.js';
import { splitBook } from '../../../src/crew/book/split.js';
import { CHAPTERS, makeBook } from './fixtures.js';

async function failure(p: Promise<unknown>): Promise<BookError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BookError);
    expect((err as Error).message).not.toContain('\n');
    return err as BookError;
  }
  throw new Error('expected a failure');
}

/** Split must fail the same way and leave nothing behind in its parent directory. */
async function splitFails(path: string, password?: string): Promise<BookError> {
  const parent = mkdtempSync(join(tmpdir(), 'crew-bad-'));
  const err = await failure(splitBook(path, { by: 'chapter' }, join(parent, 'out'), { password }));
  expect(readdirSync(parent)).toEqual([]);
  return err;
}

describe('bad input', () => {
  it('an encrypted PDF says so, and opens with its password', async () => {
    const m = await makeBook({
      chapters: CHAPTERS,
      outline: 'flat',
      labels: true,
      toc: false,
      userPassword: 's3cret',
    });
    const err = await failure(analyzeBook(m.path));
    expect(err.code).toBe('encrypted');
    expect(err.message).toBe(`${m.path}: the PDF is encrypted; give its password with --password`);
    expect((await failure(analyzeBook(m.path, { password: 'wrong' }))).code).toBe('bad-password');
    expect((await splitFails(m.path)).code).toBe('encrypted');
    const s = await analyzeBook(m.path, { password: 's3cret' });
    expect(s.entries.map((e) => e.title)).toContain('Chapter 2 Tensors and Gradients');
    const out = join(mkdtempSync(join(tmpdir(), 'crew-enc-')), 'out');
    const splits = await splitBook(m.path, { by: 'chapter' }, out, { password: 's3cret' });
    expect(splits.chunks).toHaveLength(5);
    expect(existsSync(join(out, splits.chunks[1]!.file))).toBe(true);
  });

  it('a truncated PDF is named as truncated or corrupt', async () => {
    const m = await makeBook({ chapters: CHAPTERS, outline: 'flat', labels: true, toc: false });
    const cut = join(mkdtempSync(join(tmpdir(), 'crew-cut-')), 'cut.pdf');
    writeFileSync(cut, m.bytes.subarray(0, Math.floor(m.bytes.length * 0.6)));
    const err = await failure(analyzeBook(cut));
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(/^.*cut\.pdf: truncated or corrupt PDF/);
    expect((await splitFails(cut)).code).toBe('corrupt');
  });

  it('a corrupt PDF (garbage where its objects were) is named as corrupt', async () => {
    const m = await makeBook({ chapters: CHAPTERS, outline: 'flat', labels: true, toc: false });
    const bytes = Buffer.from(m.bytes);
    bytes.fill(0x21, 20, bytes.length - 40);
    const bad = join(mkdtempSync(join(tmpdir(), 'crew-corrupt-')), 'corrupt.pdf');
    writeFileSync(bad, bytes);
    const err = await failure(analyzeBook(bad));
    expect(err.message).toContain('corrupt.pdf: ');
    expect(['corrupt', 'no-structure']).toContain(err.code);
  });

  it('a file that is not a PDF, and a missing file', async () => {
    const txt = join(mkdtempSync(join(tmpdir(), 'crew-txt-')), 'notes.pdf');
    writeFileSync(txt, 'just some notes\n');
    const err = await failure(analyzeBook(txt));
    expect(err.message).toBe(`${txt}: not a PDF file (no %PDF- header)`);
    expect((await splitFails(txt)).code).toBe('not-pdf');
    expect((await failure(analyzeBook('/nonexistent/book.pdf'))).message).toBe(
      '/nonexistent/book.pdf: cannot read (no such file)',
    );
  });

  it('an empty outline and no contents or headings: no chapters found', async () => {
    const spec = {
      chapters: CHAPTERS,
      front: [],
      back: [],
      headings: false,
      plainTitles: true,
      labels: false,
      toc: false,
    };
    const m = await makeBook({ ...spec, outline: 'empty' });
    const err = await failure(analyzeBook(m.path));
    expect(err.code).toBe('no-structure');
    expect(err.message).toBe(
      `${m.path}: no chapters found: its outline (bookmarks) is empty or missing, and no table of contents or chapter headings were found in its text`,
    );
    expect((await splitFails(m.path)).code).toBe('no-structure');
  });
});
