import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { splitBook, type Splits } from '../../../src/crew/book/split.js';
import { summarizeDir } from '../../../src/crew/book/summarize.js';
import { CHAPTERS, makeBook, type Made } from './fixtures.js';

async function outlineOf(path: string) {
  const doc = await getDocument({ data: new Uint8Array(readFileSync(path)), verbosity: 0 }).promise;
  const walk = async (
    items: { title: string; dest: unknown; items: unknown[] }[] | null,
  ): Promise<unknown[]> =>
    Promise.all(
      (items ?? []).map(async (i) => {
        const dest = (typeof i.dest === 'string' ? await doc.getDestination(i.dest) : i.dest) as [
          { num: number; gen: number },
        ];
        const kids = await walk(i.items as never);
        const page = (await doc.getPageIndex(dest[0])) + 1;
        return kids.length > 0 ? [i.title, page, kids] : [i.title, page];
      }),
    );
  const outline = await walk((await doc.getOutline()) as never);
  const labels = await doc.getPageLabels();
  const pages = doc.numPages;
  await doc.destroy();
  return { outline, labels, pages };
}

describe('book split', () => {
  let book: Made;
  let out: string;
  let splits: Splits;
  beforeAll(async () => {
    book = await makeBook({
      chapters: CHAPTERS,
      appendices: [{ title: 'Widget Reference', pages: 2 }],
      outline: 'flat',
      labels: true,
      toc: false,
    });
    out = join(mkdtempSync(join(tmpdir(), 'crew-split-')), 'chunks');
    splits = await splitBook(book.path, { by: 'chapter' }, out);
  });

  it('writes one chunk per chapter with splits.json and structure.json', () => {
    expect(splits.chunks.map((c) => [c.title, c.firstPage, c.lastPage, c.pageCount, c.firstLabel])).toEqual([
      ['Front matter', 1, 4, 4, 'i'],
      ['Chapter 1 Getting Started', 5, 7, 3, '1'],
      ['Chapter 2 Tensors and Gradients', 8, 11, 4, '4'],
      ['Chapter 3 Training Loops', 12, 14, 3, '8'],
      ['Appendix A Widget Reference', 15, 16, 2, '11'],
      ['Back matter', 17, 18, 2, '13'],
    ]);
    const files = readdirSync(out).sort();
    for (const c of splits.chunks) expect(files).toEqual(expect.arrayContaining([c.file, c.markdown]));
    expect(files).toContain('splits.json');
    expect(files).toContain('structure.json');
    expect(JSON.parse(readFileSync(join(out, 'splits.json'), 'utf8'))).toEqual(splits);
    expect(splits.chunks[1]!.file).toBe('02-chapter-1-getting-started.pdf');
    expect(splits.chunks[1]!.chapters).toEqual(['Chapter 1 Getting Started']);
    // No temporary directories are left beside the output.
    expect(readdirSync(join(out, '..'))).toEqual(['chunks']);
  });

  it('rebuilds each chunk PDF its own bookmarks and printed page labels', async () => {
    const ch2 = await outlineOf(join(out, splits.chunks[2]!.file));
    expect(ch2.pages).toBe(4);
    expect(ch2.outline).toEqual([
      [
        'Chapter 2 Tensors and Gradients',
        1,
        [
          ['2.1 Shapes', 2],
          ['2.2 Broadcasting', 3],
          ['2.3 Autograd', 4],
        ],
      ],
    ]);
    expect(ch2.labels).toEqual(['4', '5', '6', '7']);
    const front = await outlineOf(join(out, splits.chunks[0]!.file));
    expect(front.labels).toEqual(['i', 'ii', 'iii', 'iv']);
    expect(front.outline).toEqual([['Preface', 3]]);
  });

  it('writes Markdown with page markers, headings and code blocks', () => {
    const md = readFileSync(join(out, splits.chunks[1]!.markdown), 'utf8');
    expect(md).toMatch(/^# Chapter 1 Getting Started\n/);
    expect(md).toContain('<!-- page 5 (printed 1) -->');
    expect(md).toContain('<!-- page 7 (printed 3) -->');
    expect(md).toContain('## Chapter 1 Getting Started');
    expect(md).toContain('### 1.1 Installing widgets');
    expect(md).toContain(
      '```\ndef build_1_model(config):\n    layers = make_layers(config.depth)\n    return WidgetModel(layers)\n```',
    );
  });

  it('summarizes chunks: sections, captions, key terms and code identifiers', async () => {
    const summaries = await summarizeDir(out);
    const ch1 = summaries[1]!;
    expect(ch1.sections).toEqual(['1.1 Installing widgets', '1.2 A first model']);
    expect(ch1.listings).toEqual({
      count: 1,
      items: [{ number: '1.1', title: 'Defining the getting started model' }],
    });
    expect(ch1.figures).toEqual({
      count: 1,
      items: [{ number: '1.1', title: 'The getting started pipeline' }],
    });
    expect(ch1.tables).toEqual({ count: 1, items: [{ number: '1.1', title: 'Widget sizes' }] });
    expect(ch1.codeBlocks).toBe(1);
    expect(ch1.identifiers.map((i) => i.name).slice(0, 3)).toEqual([
      'build_1_model',
      'layers',
      'WidgetModel',
    ]);
    expect(ch1.keyTerms.map((t) => t.term)).toContain('widget');
    expect(ch1.summary).toContain('1 listings, 1 figures, 1 tables');
  });

  it('splits by a page budget and by a plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crew-split-'));
    const byPages = await splitBook(book.path, { by: 'max-pages', maxPages: 7 }, join(dir, 'a'));
    expect(byPages.chunks.map((c) => [c.firstPage, c.lastPage])).toEqual([
      [1, 7],
      [8, 14],
      [15, 18],
    ]);
    expect(byPages.chunks.every((c) => c.pageCount <= 7)).toBe(true);
    const plan = {
      chunks: [
        { title: 'Basics', entries: ['1', '2'] },
        { entries: ['3'] },
        { title: 'Rest', pages: [15, 18] },
      ],
    };
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const byPlan = await splitBook(
      book.path,
      { by: 'plan', plan, planFile: join(dir, 'plan.json') },
      join(dir, 'b'),
    );
    expect(byPlan.chunks.map((c) => [c.title, c.firstPage, c.lastPage])).toEqual([
      ['Basics', 5, 11],
      ['Chapter 3 Training Loops', 12, 14],
      ['Rest', 15, 18],
    ]);
    await expect(
      splitBook(
        book.path,
        { by: 'plan', plan: { chunks: [{ entries: ['9'] }] }, planFile: 'plan.json' },
        join(dir, 'c'),
      ),
    ).rejects.toThrow('plan.json: bad plan: chunk 1: no entry "9" in the structure');
    expect(existsSync(join(dir, 'c'))).toBe(false);
  });
});
