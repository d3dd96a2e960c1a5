// Planning real books from Debian's r-doc-pdf (GPL; installed by CI, not committed), as
// test/crew/book/real-book.test.ts reads them: the R reference manual, whose 14 package chapters
// carry no numbers, and R Data Import/Export with its contents pages cut out (qpdf).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBook } from '../../../src/crew/book/analyze.js';
import { MAX_TASK_PAGES, parsePlan, readPlanText } from '../../../src/crew/plan/index.js';
import { crew } from '../dashboard/fixtures.js';

const MANUALS = [
  process.env.LLM_CREW_R_MANUALS,
  '/usr/share/R/doc/manual',
  '/usr/share/doc/r-doc-pdf/manual',
];
const dir = MANUALS.find((d): d is string => !!d && existsSync(join(d, 'fullrefman.pdf')));
// r-doc-pdf 4.2.2.20221110-2 (Debian 12). Another version moves pages: its numbers are not these.
const SHA256: Record<string, string> = {
  'fullrefman.pdf': '89150a81fb3d3a11223c3e184f38c92adf3e77067aee3661086cf3582cf9dce2',
  'R-data.pdf': '9381a39ffeb8545a745c2618ba955b4ae4e10b9c8373cd5bc1984fff8318f8ca',
};
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const why = !dir
  ? 'fullrefman.pdf not found: install the Debian package r-doc-pdf (apt-get install -y r-doc-pdf)'
  : Object.entries(SHA256).find(([f, h]) => sha(join(dir, f)) !== h)
    ? `${dir} holds another version than r-doc-pdf 4.2.2.20221110-2, which these expectations were read from`
    : null;
if (why) console.warn(`skipping the real-book planning tests: ${why}`);

const PACKAGES = [
  'base',
  'compiler',
  'datasets',
  'grDevices',
  'graphics',
  'grid',
  'methods',
  'parallel',
  'splines',
  'stats',
  'stats4',
  'tcltk',
  'tools',
  'utils',
];

describe.skipIf(why !== null)('planning the R manuals (Debian r-doc-pdf)', () => {
  it('init plans fullrefman.pdf: one task per package chapter, the giant ones split by pages', async () => {
    const work = mkdtempSync(join(tmpdir(), 'crew-refman-'));
    const structure = await analyzeBook(join(dir!, 'fullrefman.pdf'));
    writeFileSync(join(work, 'structure.json'), JSON.stringify(structure));
    writeFileSync(join(work, 'Makefile'), 'test:\n\ttrue\n');
    const init = await crew(work, 'init', '--book', 'structure.json', '--agents', '4');
    expect(init.code, init.stderr).toBe(0);
    expect((await crew(work, 'plan', '--check')).code).toBe(0);
    const plan = parsePlan(readPlanText(join(work, 'crew.yaml')));
    // The package chapters, by their ids in the structure, each owned once.
    expect(plan.agents.flatMap((a) => a.chapters)).toEqual(PACKAGES.map((_, i) => String(i + 2)));
    const tasks = plan.milestones.flatMap((m) => m.deliverables);
    const chapterOf = (id: string) => /^ch(\d+)/.exec(id)![1]!;
    expect([...new Set(tasks.map((t) => chapterOf(t.id)))]).toEqual(plan.agents.flatMap((a) => a.chapters));
    // The base package (716 pages, 429 topics) in eight parts; the 4-page compiler package whole.
    const base = tasks.filter((t) => chapterOf(t.id) === '2');
    expect(base).toHaveLength(Math.ceil(716 / MAX_TASK_PAGES));
    expect(base[0]!.title).toMatch(/^The base package \(part 1 of 8: base-package to /);
    expect(base.flatMap((t) => t.sections)).toEqual(Array.from({ length: 429 }, (_, i) => `2.${i + 1}`));
    expect(tasks.filter((t) => chapterOf(t.id) === '3')).toEqual([
      {
        id: 'ch3',
        title: 'The compiler package',
        sections: ['3'],
        module: 'compiler-package',
        accept: 'make test',
      },
    ]);
    expect(tasks.every((t) => t.accept === 'make test')).toBe(true);
  }, 300_000);

  it('R-data without its contents pages: the data table on page 17 is not taken for contents', async (ctx) => {
    const cut = join(mkdtempSync(join(tmpdir(), 'crew-rdata-')), 'no-contents.pdf');
    try {
      // No outline, and without PDF pages 3-4 (the table of contents).
      execFileSync('qpdf', ['--empty', '--pages', join(dir!, 'R-data.pdf'), '1-2,5-z', '--', cut], {
        stdio: 'ignore',
      });
    } catch {
      console.warn('skipping the R-data check: qpdf not installed (apt-get install -y qpdf)');
      ctx.skip();
    }
    const s = await analyzeBook(cut);
    expect(s.method).toBe('headings');
    expect(
      s.entries.filter((e) => e.kind === 'chapter').map((e) => [e.title, e.firstPage, e.firstLabel]),
    ).toEqual([
      ['1 Introduction', 5, '3'],
      ['2 Spreadsheet-like data', 10, '8'],
      ['3 Importing from other statistical systems', 17, '15'],
      ['4 Relational databases', 19, '17'],
      ['5 Binary files', 26, '24'],
      ['6 Image files', 27, '25'],
      ['7 Connections', 28, '26'],
      ['8 Network interfaces', 33, '31'],
      ['9 Reading Excel spreadsheets', 34, '32'],
    ]);
  }, 120_000);
});
