import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PDFDocument } from '@cantoo/pdf-lib';
import { describe, expect, it } from 'vitest';
import { analyzeBook } from '../../../src/crew/book/analyze.js';
import { writeOutline } from '../../../src/crew/book/pdf-write.js';
import { chapterLevel, flatten } from '../../../src/crew/book/structure.js';
import { parseTocPage } from '../../../src/crew/book/toc-parse.js';
import { STRUCTURE_FORMAT, STRUCTURE_VERSION } from '../../../src/crew/book/types.js';
import { CHAPTERS, makeBook, type BookSpec, type Made } from './fixtures.js';

const base: Omit<BookSpec, 'outline' | 'labels' | 'toc'> = {
  chapters: CHAPTERS,
  appendices: [{ title: 'Widget Reference', pages: 2 }],
};

function table(m: Made) {
  return m.expected.map((e) => ({
    title: e.title,
    kind: e.kind,
    firstPage: e.firstPage,
    label: e.label,
    level: e.level,
  }));
}

async function found(m: Made) {
  const s = await analyzeBook(m.path);
  return {
    s,
    rows: flatten(s.entries).map((e) => ({
      title: e.title,
      kind: e.kind,
      firstPage: e.firstPage,
      label: e.firstLabel,
      level: e.level,
    })),
  };
}

describe('book analyze on generated books', () => {
  it('reads bookmarks, roman front matter labels, kinds and matter', async () => {
    const m = await makeBook({ ...base, outline: 'flat', labels: true, toc: false });
    const { s, rows } = await found(m);
    expect(rows).toEqual(table(m));
    expect(s.format).toBe(STRUCTURE_FORMAT);
    expect(s.version).toBe(STRUCTURE_VERSION);
    expect(s.method).toBe('outline');
    expect(s.title).toBe('Deep Learning with Widgets');
    expect(s.author).toBe('Ada Example');
    expect(s.pageCount).toBe(m.pageCount);
    expect(s.hasPageLabels).toBe(true);
    expect(s.pageLabels).toEqual(m.labels);
    expect(s.pageLabels.slice(0, 4)).toEqual(['i', 'ii', 'iii', 'iv']);
    // Front: title, copyright, preface (pages 1-4); body: chapters 1-3 (5-14); back: appendix and index.
    expect(s.matter).toEqual({
      front: { firstPage: 1, lastPage: 4 },
      body: { firstPage: 5, lastPage: 14 },
      back: { firstPage: 15, lastPage: m.pageCount },
    });
    const ch1 = s.entries.find((e) => e.title === 'Chapter 1 Getting Started')!;
    expect([ch1.firstPage, ch1.lastPage, ch1.pageCount, ch1.number, ch1.lastLabel]).toEqual([
      5,
      7,
      3,
      '1',
      '3',
    ]);
    expect(s.entries.every((e) => e.method === 'outline')).toBe(true);
    expect(s.pagesWithoutText).toEqual([]);
  });

  it('nests chapters under parts from nested bookmarks', async () => {
    const chapters = CHAPTERS.map((c, i) => ({
      ...c,
      part: i === 0 ? 'Part I Foundations' : i === 2 ? 'Part II Practice' : undefined,
    }));
    const m = await makeBook({ ...base, chapters, outline: 'nested', labels: true, toc: false });
    const { s, rows } = await found(m);
    expect(rows).toEqual(table(m));
    const parts = s.entries.filter((e) => e.kind === 'part');
    expect(parts.map((p) => [p.title, p.children.map((c) => c.title)])).toEqual([
      ['Part I Foundations', ['Chapter 1 Getting Started', 'Chapter 2 Tensors and Gradients']],
      ['Part II Practice', ['Chapter 3 Training Loops']],
    ]);
    // A part covers its chapters' pages.
    expect(parts[0]!.lastPage).toBe(parts[0]!.children[1]!.lastPage);
    expect(chapterLevel(s.entries).filter((e) => e.kind === 'chapter')).toHaveLength(3);
  });

  it('falls back to a contents page with dot leaders, mapped through page labels', async () => {
    const m = await makeBook({ ...base, headings: false, outline: 'none', labels: true, toc: true });
    const { s, rows } = await found(m);
    expect(s.method).toBe('toc');
    expect(rows).toEqual(table(m));
    expect(s.entries.every((e) => e.method === 'toc')).toBe(true);
  });

  it('maps a contents page without page labels by the printed-number offset', async () => {
    const m = await makeBook({ ...base, headings: false, outline: 'none', labels: false, toc: true });
    const { s, rows } = await found(m);
    expect(s.method).toBe('toc');
    expect(s.hasPageLabels).toBe(false);
    expect(s.pageLabelsSource).toBe('inferred');
    expect(rows).toEqual(table(m));
  });

  it('falls back to chapter headings on the pages', async () => {
    const m = await makeBook({ ...base, outline: 'empty', labels: true, toc: false });
    const { s, rows } = await found(m);
    expect(s.method).toBe('headings');
    expect(rows).toEqual(table(m));
  });

  it('parses dot-leader lines, wrapped titles and roman numbers', () => {
    const line = (text: string, y: number, x = 72) => ({ text, x, y, size: 10, mono: false });
    const page = {
      page: 3,
      width: 612,
      height: 792,
      lines: [
        line('Contents', 740),
        line('Preface . . . . . . . . . . ix', 700),
        line('Chapter 1 A long chapter title that', 686),
        line('wraps onto a second line . . . . . 1', 672),
        line('1.1 Tensors . . . . . . . . 3', 658, 90),
      ],
    };
    expect(parseTocPage(page, false).map((e) => [e.title, e.printed])).toEqual([
      ['Preface', 'ix'],
      ['Chapter 1 A long chapter title that wraps onto a second line', '1'],
      ['1.1 Tensors', '3'],
    ]);
  });

  it('does not take a data table or an index without a heading for contents', () => {
    const line = (text: string, y: number) => ({ text, x: 72, y, size: 10, mono: false });
    const page = (texts: string[]) => ({
      page: 17,
      width: 612,
      height: 792,
      lines: texts.map((t, i) => line(t, 740 - 14 * i)),
    });
    // R-data's page 17: a reshaped data frame, one row per line, each ending in a number.
    const table = [
      'Status Age V1 V2 V3 V4 id',
      ...Array.from({ length: 10 }, (_, i) => `${i + 1}.1 CC 2${i}646 1 45190 ${i + 1}`),
    ];
    expect(parseTocPage(page(table), false)).toEqual([]);
    // An index: alphabetical, so its page numbers jump back and forth.
    const index = [
      'bzfile . . . . . 26',
      'cat . . . . . 5',
      'dbf . . . . . 21',
      'file . . . . . 26',
      'ftable . . . . . 13',
      'netCDF . . . . . 24',
      'odbcClose . . . . . 22',
      'read.csv . . . . . 8',
      'scan . . . . . 11',
    ];
    expect(parseTocPage(page(index), false)).toEqual([]);
    // The same entries in page order, as a contents page holds them, still read.
    const contents = [...index].sort((a, b) => Number(a.split(' ').at(-1)) - Number(b.split(' ').at(-1)));
    expect(parseTocPage(page(contents), false)).toHaveLength(9);
  });
});

describe('reading pages on several threads', () => {
  it('gives the same structure as one thread', async () => {
    // Worker threads load the TypeScript sources through tsx, which vitest does not use: run in a child.
    const chapters = Array.from({ length: 10 }, (_, i) => ({
      title: `Topic ${i + 1}`,
      pages: 11,
      sections: ['One', 'Two'],
    }));
    const m = await makeBook({ chapters, outline: 'flat', labels: true, toc: false });
    const script = join(dirname(m.path), 'run.mts');
    const analyze = new URL('../../../src/crew/book/analyze.ts', import.meta.url).href;
    writeFileSync(
      script,
      `const { analyzeBook } = await import(${JSON.stringify(analyze)});\nconsole.log(JSON.stringify(await analyzeBook(process.argv[2])));\n`,
    );
    const threaded = execFileSync(process.execPath, ['--import', 'tsx', script, m.path], {
      env: { ...process.env, LLM_CREW_BOOK_THREADS: '2' },
      encoding: 'utf8',
    });
    // In this process (vitest) the pages are read on this thread.
    const one = await analyzeBook(m.path);
    expect(one.entries).toHaveLength(12);
    expect(JSON.parse(threaded)).toEqual(one);
  });
});

describe('pages without text', () => {
  it('are reported, with a warning that a mostly textless book needs OCR', async () => {
    const doc = await PDFDocument.create();
    for (let i = 0; i < 4; i++)
      doc.addPage([612, 792]).drawRectangle({ x: 72, y: 72, width: 400, height: 600 });
    writeOutline(doc, [{ title: 'Chapter 1 Scanned', pageIndex: 0, children: [] }]);
    const path = join(mkdtempSync(join(tmpdir(), 'crew-scan-')), 'scan.pdf');
    writeFileSync(path, await doc.save());
    const s = await analyzeBook(path);
    expect(s.pagesWithoutText).toEqual([1, 2, 3, 4]);
    expect(s.warnings).toContain(
      '4 of 4 pages have no extractable text: the PDF looks scanned and needs OCR',
    );
    expect(s.title).toBeNull();
  });
});
