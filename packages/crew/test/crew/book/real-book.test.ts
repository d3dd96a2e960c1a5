// A real book-length technical PDF with bookmarks and page labels: "An Introduction to R" from the
// Debian package r-doc-pdf (GPL; installed by CI, not committed). Expected values checked against
// qpdf --json (outline destinations) and pdftotext (the numbers printed on the pages).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBook } from '../../../src/crew/book/analyze.js';
import { splitBook } from '../../../src/crew/book/split.js';
import { summarizeDir } from '../../../src/crew/book/summarize.js';
import type { BookStructure } from '../../../src/crew/book/types.js';

const CANDIDATES = [
  process.env.LLM_CREW_REAL_BOOK,
  '/usr/share/R/doc/manual/R-intro.pdf',
  '/usr/share/doc/r-doc-pdf/manual/R-intro.pdf',
].filter((p): p is string => !!p);
const path = CANDIDATES.find((p) => existsSync(p));
// r-doc-pdf 4.2.2.20221110-2 (Debian 12). Another version moves pages: its numbers are not these.
const SHA256 = '337ccd0b490b1e66f7e783b45f4588d0599730b4206c0c051edfe1419c568c51';
const sha = path ? createHash('sha256').update(readFileSync(path)).digest('hex') : null;
const why = !path
  ? 'R-intro.pdf not found: install the Debian package r-doc-pdf (apt-get install -y r-doc-pdf)'
  : sha !== SHA256
    ? `${path} is another version than the one these expectations were read from (r-doc-pdf 4.2.2.20221110-2)`
    : null;
if (why) console.warn(`skipping the real-book test: ${why}`);

// [title, kind, first PDF page, printed label of that page]
const CHAPTERS: [string, string, number, string][] = [
  ['Preface', 'front', 7, '1'],
  ['1 Introduction and preliminaries', 'chapter', 8, '2'],
  ['2 Simple manipulations; numbers and vectors', 'chapter', 14, '8'],
  ['3 Objects, their modes and attributes', 'chapter', 20, '14'],
  ['4 Ordered and unordered factors', 'chapter', 23, '17'],
  ['5 Arrays and matrices', 'chapter', 26, '20'],
  ['6 Lists and data frames', 'chapter', 35, '29'],
  ['7 Reading data from files', 'chapter', 39, '33'],
  ['8 Probability distributions', 'chapter', 42, '36'],
  ['9 Grouping, loops and conditional execution', 'chapter', 49, '43'],
  ['10 Writing your own functions', 'chapter', 51, '45'],
  ['11 Statistical models in R', 'chapter', 61, '55'],
  ['12 Graphical procedures', 'chapter', 74, '68'],
  ['13 Packages', 'chapter', 89, '83'],
  ['14 OS facilities', 'chapter', 91, '85'],
  ['A A sample session', 'appendix', 94, '88'],
  ['B Invoking R', 'appendix', 98, '92'],
  ['C The command-line editor', 'appendix', 106, '100'],
  ['D Function and variable index', 'appendix', 108, '102'],
  ['E Concept index', 'appendix', 111, '105'],
  ['F References', 'appendix', 113, '107'],
];

describe.skipIf(why !== null)('a real book: An Introduction to R (Debian r-doc-pdf)', () => {
  it('finds chapters, first pages and printed labels exactly, and splits by chapter', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'crew-real-')), 'chunks');
    const splits = await splitBook(path!, { by: 'chapter' }, out);
    const s = JSON.parse(readFileSync(join(out, 'structure.json'), 'utf8')) as BookStructure;
    expect(s.title).toBe('An Introduction to R');
    expect(s.pageCount).toBe(113);
    expect(s.method).toBe('outline');
    expect(s.hasPageLabels).toBe(true);
    expect(s.pageLabels.slice(0, 8)).toEqual(['T-1', 'T-2', 'i', 'ii', 'iii', 'iv', '1', '2']);
    expect(s.entries.map((e) => [e.title, e.kind, e.firstPage, e.firstLabel])).toEqual(CHAPTERS);
    expect(s.matter).toEqual({
      front: { firstPage: 1, lastPage: 7 },
      body: { firstPage: 8, lastPage: 93 },
      back: { firstPage: 94, lastPage: 113 },
    });
    const ch5 = s.entries[5]!;
    expect([ch5.lastPage, ch5.children.length, ch5.children[0]!.title]).toEqual([34, 10, 'Arrays']);
    expect(s.pagesWithoutText).toEqual([]);

    expect(splits.chunks).toHaveLength(21);
    expect(splits.chunks[0]).toMatchObject({
      title: 'Front matter',
      firstPage: 1,
      lastPage: 7,
      firstLabel: 'T-1',
    });
    expect(splits.chunks[5]).toMatchObject({
      title: '5 Arrays and matrices',
      firstPage: 26,
      lastPage: 34,
      firstLabel: '20',
      lastLabel: '28',
    });
    const md = readFileSync(join(out, splits.chunks[5]!.markdown), 'utf8');
    expect(md).toContain('<!-- page 26 (printed 20) -->');
    expect(md).toContain('```\n> dim(z) <- c(3,5,100)\n```');
    const summaries = await summarizeDir(out);
    expect(summaries[5]!.keyTerms.map((t) => t.term).slice(0, 5)).toEqual(
      expect.arrayContaining(['array', 'matrix']),
    );
    expect(summaries[5]!.identifiers.map((i) => i.name)).toContain('cbind');
  });

  it('finds the same chapters from the contents pages when the bookmarks are removed', async (ctx) => {
    const stripped = join(mkdtempSync(join(tmpdir(), 'crew-real-')), 'no-outline.pdf');
    try {
      // qpdf --pages copies the pages (and their labels) into a new file without the outline.
      execFileSync('qpdf', ['--empty', '--pages', path!, '--', stripped], { stdio: 'ignore' });
    } catch {
      console.warn('skipping the contents-page check: qpdf not installed (apt-get install -y qpdf)');
      ctx.skip();
    }
    const s = await analyzeBook(stripped);
    expect(s.method).toBe('toc');
    // The contents page words appendices "Appendix A A sample session"; pages and labels are the same.
    expect(
      s.entries.map((e) => [e.title.replace(/^Appendix /, ''), e.kind, e.firstPage, e.firstLabel]),
    ).toEqual(CHAPTERS);
    expect(s.entries[1]!.children[0]).toMatchObject({
      title: '1.1 The R environment',
      firstPage: 8,
      firstLabel: '2',
    });
  });

  it('finds the same chapters from the headings on the pages without bookmarks and contents', async (ctx) => {
    const stripped = join(mkdtempSync(join(tmpdir(), 'crew-real-')), 'no-toc.pdf');
    try {
      // Drop the outline and the four contents pages (PDF pages 3-6).
      execFileSync('qpdf', ['--empty', '--pages', path!, '1-2,7-z', '--', stripped], { stdio: 'ignore' });
    } catch {
      console.warn('skipping the headings check: qpdf not installed (apt-get install -y qpdf)');
      ctx.skip();
    }
    const s = await analyzeBook(stripped);
    expect(s.method).toBe('headings');
    const expected = CHAPTERS.map(([title, kind, page, label]) => [title, kind, page - 4, label]);
    expect(
      s.entries.map((e) => [e.title.replace(/^Appendix /, ''), e.kind, e.firstPage, e.firstLabel]),
    ).toEqual(expected);
  });
});
