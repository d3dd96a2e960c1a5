/**
 * `book split`: one PDF per chunk with its own bookmarks and printed page labels, its text as Markdown,
 * `structure.json` and `splits.json`. Everything is written to a temporary directory beside the
 * target and renamed into place at the end, so a failure never leaves a partial output directory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PDFDocument } from '@cantoo/pdf-lib';
import { Analysis } from './analyze.js';
import { labelRange } from './page-labels.js';
import { planChunks, type ChunkPlan, type SplitBy } from './chunks.js';
import { BookError } from './errors.js';
import { pageMarkdown, type HeadingHint } from './markdown.js';
import { openPdf, toBookError, type OpenedPdf } from './pdf.js';
import { scanPagesParallel } from './parallel.js';
import { writeOutline, writePageLabels, type OutlineItem } from './pdf-write.js';
import { flatten } from './structure.js';
import type { BookStructure, Entry } from './types.js';

export const SPLITS_FORMAT = 'llm-crew/book-splits';
export const SPLITS_VERSION = 1;

export interface Chunk {
  /** 1-based position. */
  chunk: number;
  title: string;
  /** Structure entry ids covered, and their titles. */
  entries: string[];
  chapters: string[];
  file: string;
  markdown: string;
  firstPage: number;
  lastPage: number;
  pageCount: number;
  firstLabel: string;
  lastLabel: string;
}

export interface Splits {
  format: typeof SPLITS_FORMAT;
  version: typeof SPLITS_VERSION;
  source: BookStructure['source'];
  title: string | null;
  by: SplitBy['by'];
  chunks: Chunk[];
}

export interface SplitOptions {
  password?: string;
  log?: (message: string) => void;
}

function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'chunk'
  );
}

export async function splitBook(
  path: string,
  split: SplitBy,
  outDir: string,
  options: SplitOptions = {},
): Promise<Splits> {
  const log = options.log ?? (() => {});
  const pdf = await openPdf(path, { password: options.password });
  const target = resolve(outDir);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    const analysis = await Analysis.start(pdf);
    // Labels inferred from printed numbers are known only after the pass: such books take two passes too.
    const known = analysis.hasOutline && analysis.labels.present;
    let structure: BookStructure | null = known ? analysis.structure() : null;
    let chunks: ChunkPlan[] | null = structure ? planChunks(structure, split) : null;
    await mkdir(tmp, { recursive: true });
    // With bookmarks the chunks are known before the text is read: one pass does both. Without them
    // the structure needs the text first, and the Markdown a second pass.
    let writers = chunks ? openMarkdown(tmp, chunks, structure!) : null;
    await scanPagesParallel(pdf, async (page) => {
      analysis.visit(page);
      if (writers) await writePage(writers, page, structure!);
    });
    structure = analysis.structure();
    if (!chunks) {
      chunks = planChunks(structure, split);
      writers = openMarkdown(tmp, chunks, structure);
      const first = Math.min(...chunks.map((c) => c.firstPage));
      const last = Math.max(...chunks.map((c) => c.lastPage));
      await scanPagesParallel(pdf, (page) => writePage(writers!, page, structure!), { first, last });
    }
    await Promise.all(
      writers!.map((w) => new Promise<void>((ok, fail) => w.stream.end((e?: Error) => (e ? fail(e) : ok())))),
    );
    log(`${chunks.length} chunks; writing PDFs`);
    const result = await writeChunks(pdf, structure, chunks, split.by, tmp, options.password);
    await writeFile(join(tmp, 'structure.json'), JSON.stringify(structure, null, 2) + '\n');
    await writeFile(join(tmp, 'splits.json'), JSON.stringify(result, null, 2) + '\n');
    await replaceDir(tmp, target);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await pdf.doc.destroy();
  }
}

const starts = new WeakMap<BookStructure, Map<number, Entry[]>>();

/** The entries that start on each page, built once per structure rather than once per page. */
function startsByPage(s: BookStructure): Map<number, Entry[]> {
  let map = starts.get(s);
  if (!map) {
    map = new Map();
    for (const e of flatten(s.entries)) map.set(e.firstPage, [...(map.get(e.firstPage) ?? []), e]);
    starts.set(s, map);
  }
  return map;
}

interface MarkdownWriter {
  plan: ChunkPlan;
  file: string;
  stream: WriteStream;
}

function chunkFileBase(i: number, plan: ChunkPlan): string {
  return `${String(i + 1).padStart(2, '0')}-${slug(plan.title)}`;
}

function openMarkdown(dir: string, chunks: ChunkPlan[], s: BookStructure): MarkdownWriter[] {
  return chunks.map((plan, i) => {
    const file = `${chunkFileBase(i, plan)}.md`;
    const stream = createWriteStream(join(dir, file));
    const labels = labelRange(s.pageLabels[plan.firstPage - 1]!, s.pageLabels[plan.lastPage - 1]!);
    stream.write(
      `# ${plan.title}\n\n<!-- ${s.title ?? s.source.file}: PDF pages ${plan.firstPage}-${plan.lastPage}, printed ${labels} -->\n\n`,
    );
    return { plan, file, stream };
  });
}

async function writePage(
  writers: MarkdownWriter[],
  page: import('./pages.js').PageText,
  s: BookStructure,
): Promise<void> {
  const starting = startsByPage(s).get(page.page) ?? [];
  const hints: HeadingHint[] = starting.map((e) => ({ title: e.title, depth: Math.min(6, e.level + 2) }));
  const label = s.pageLabels[page.page - 1] ?? String(page.page);
  let md: string | null = null;
  for (const w of writers) {
    if (page.page < w.plan.firstPage || page.page > w.plan.lastPage) continue;
    md ??= pageMarkdown(page, label, hints);
    if (!w.stream.write(md)) await new Promise<void>((ok) => w.stream.once('drain', () => ok()));
  }
}

/** The chunk's bookmarks: the structure's entries that start inside it, nested as in the book. */
function chunkOutline(entries: Entry[], first: number, last: number): OutlineItem[] {
  const out: OutlineItem[] = [];
  for (const e of entries) {
    const inside = e.firstPage >= first && e.firstPage <= last;
    const children = chunkOutline(e.children, first, last);
    if (inside) out.push({ title: e.title, pageIndex: e.firstPage - first, children });
    // A parent that started before the chunk (a part, a long chapter cut in pieces) lends its children.
    else out.push(...children);
  }
  return out;
}

async function writeChunks(
  pdf: OpenedPdf,
  s: BookStructure,
  plans: ChunkPlan[],
  by: SplitBy['by'],
  dir: string,
  password?: string,
): Promise<Splits> {
  let src: PDFDocument;
  try {
    src = await PDFDocument.load(pdf.bytes, { password, ignoreEncryption: false, updateMetadata: false });
  } catch (err) {
    throw toBookError(err, pdf.path, basename(pdf.path), password !== undefined);
  }
  const all = flatten(s.entries);
  const chunks: Chunk[] = [];
  for (const [i, plan] of plans.entries()) {
    const out = await PDFDocument.create({ updateMetadata: false });
    const indices = Array.from(
      { length: plan.lastPage - plan.firstPage + 1 },
      (_, k) => plan.firstPage - 1 + k,
    );
    for (const page of await out.copyPages(src, indices)) out.addPage(page);
    writeOutline(out, chunkOutline(s.entries, plan.firstPage, plan.lastPage));
    writePageLabels(out, s.pageLabels.slice(plan.firstPage - 1, plan.lastPage));
    out.setTitle(s.title ? `${s.title}: ${plan.title}` : plan.title);
    if (s.author) out.setAuthor(s.author);
    out.setProducer('llm-crew book split');
    const base = chunkFileBase(i, plan);
    await writeFile(join(dir, `${base}.pdf`), await out.save({ useObjectStreams: true }));
    chunks.push({
      chunk: i + 1,
      title: plan.title,
      entries: plan.entries,
      chapters: plan.entries.map((id) => all.find((e) => e.id === id)?.title ?? id),
      file: `${base}.pdf`,
      markdown: `${base}.md`,
      firstPage: plan.firstPage,
      lastPage: plan.lastPage,
      pageCount: plan.lastPage - plan.firstPage + 1,
      firstLabel: s.pageLabels[plan.firstPage - 1]!,
      lastLabel: s.pageLabels[plan.lastPage - 1]!,
    });
  }
  return { format: SPLITS_FORMAT, version: SPLITS_VERSION, source: s.source, title: s.title, by, chunks };
}

/** Puts `tmp` at `target`, replacing an earlier output directory only once the new one is complete. */
async function replaceDir(tmp: string, target: string): Promise<void> {
  const old = `${target}.old-${process.pid}-${Date.now()}`;
  let moved = false;
  try {
    await rename(target, old);
    moved = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new BookError(`${target}: cannot replace the output directory (${code})`, 'io');
  }
  await rename(tmp, target);
  if (moved) await rm(old, { recursive: true, force: true });
}
