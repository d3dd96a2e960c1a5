// npm run bench:book: time `book analyze` and `book split --by chapter` on a 1,000-page PDF beside
// qpdf --split-pages (Debian qpdf) on the same file, in one process tree, and report the ratios.
// The book is generated (20 chapters of 50 pages, sections, listings, bookmarks, page labels);
// BENCH_BOOK=path.pdf times a real book as well (e.g. /usr/share/R/doc/manual/fullrefman.pdf).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeBook } from '../src/crew/book/analyze.js';
import { threadCount } from '../src/crew/book/parallel.js';
import { splitBook } from '../src/crew/book/split.js';
import { makeBook, type SpecChapter } from '../test/crew/book/fixtures.js';

const CHAPTER_PAGES = 50;
const sections = Array.from({ length: CHAPTER_PAGES - 1 }, (_, i) => `Topic ${i + 1}`);
const chapters: SpecChapter[] = Array.from({ length: 20 }, (_, i) => ({
  title: `Subject ${i + 1}`,
  pages: CHAPTER_PAGES,
  sections,
}));

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const RUNS = 3;

async function best<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T; first: number }> {
  let out: { ms: number; value: T } | null = null;
  let first = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await time(fn);
    if (i === 0) first = r.ms;
    if (!out || r.ms < out.ms) out = r;
  }
  return { ...out!, first };
}

function qpdf(args: string[]): void {
  execFileSync('qpdf', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function hasQpdf(): boolean {
  try {
    execFileSync('qpdf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function bench(path: string, pages: number, label: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-book-'));
  // Best of RUNS: the first run also pays for loading pdf.js into each reader thread.
  const analyze = await best(() => analyzeBook(path));
  const split = await best(() => splitBook(path, { by: 'chapter' }, join(dir, 'chunks')));
  const firstRun = (r: { first: number }) => `first run ${(r.first / 1000).toFixed(2)} s`;
  const rows: [string, number, string][] = [
    [
      'llm-crew book analyze',
      analyze.ms,
      `${analyze.value.entries.length} top-level entries, method ${analyze.value.method}; ${firstRun(analyze)}`,
    ],
    [
      'llm-crew book split --by chapter',
      split.ms,
      `${split.value.chunks.length} chunk PDFs + Markdown; ${firstRun(split)}`,
    ],
  ];
  let peer: number | null = null;
  if (hasQpdf()) {
    // qpdf writes the files but does not make their directory.
    mkdirSync(join(dir, 'qpdf-1'));
    mkdirSync(join(dir, 'qpdf-50'));
    const single = await best(() => qpdf(['--split-pages', path, join(dir, 'qpdf-1', 'page-%d.pdf')]));
    const fifty = await best(() =>
      qpdf([`--split-pages=${CHAPTER_PAGES}`, path, join(dir, 'qpdf-50', 'part-%d.pdf')]),
    );
    peer = single.ms;
    rows.push([
      'qpdf --split-pages (one file per page)',
      single.ms,
      `${readdirSync(join(dir, 'qpdf-1')).length} files`,
    ]);
    rows.push([
      `qpdf --split-pages=${CHAPTER_PAGES}`,
      fifty.ms,
      `${readdirSync(join(dir, 'qpdf-50')).length} files`,
    ]);
  }
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `\n${label}: ${pages} pages, best of ${RUNS} (${threadCount(pages)} reader threads, ${availableParallelism()} cores, load average ${load})`,
  );
  for (const [name, ms, note] of rows)
    console.log(`  ${name.padEnd(40)} ${(ms / 1000).toFixed(2).padStart(7)} s   ${note}`);
  if (peer !== null) {
    console.log(`  ratio split / qpdf --split-pages:          ${(split.ms / peer).toFixed(2)}x`);
    console.log(
      `  ratio (analyze + split) / qpdf:            ${((analyze.ms + split.ms) / peer).toFixed(2)}x`,
    );
  } else console.log('  qpdf not found: apt-get install -y qpdf to time the peer');
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gen-'));
  const gen = await time(() => makeBook({ chapters, outline: 'flat', labels: true, toc: true }, dir));
  console.log(
    `generated ${gen.value.pageCount}-page book in ${(gen.ms / 1000).toFixed(2)} s (${gen.value.path})`,
  );
  await bench(gen.value.path, gen.value.pageCount, 'generated book');
  const real = process.env.BENCH_BOOK;
  if (real) {
    const pages = Number(execFileSync('qpdf', ['--show-npages', real]).toString().trim());
    await bench(real, pages, real);
  }
  rmSync(dir, { recursive: true, force: true });
}

await main();
