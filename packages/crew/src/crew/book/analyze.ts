/**
 * `book analyze`: metadata, page labels and the structure tree of a book, found from its bookmarks,
 * else its contents pages, else its headings. One streaming pass over the pages collects what the
 * fallbacks and the no-text report need; nothing else of the text is kept.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { BookError } from './errors.js';
import { bodySize, detectHeadings, pageHead, type PageHead } from './headings.js';
import { readOutline, type OutlineNode } from './outline.js';
import { inferLabels, readPageLabels } from './page-labels.js';
import { openPdf, type OpenedPdf } from './pdf.js';
import { type PageText } from './pages.js';
import { scanPagesParallel } from './parallel.js';
import { buildEntries, matterRanges, type FoundEntry } from './structure.js';
import { findToc, mapPages, tocEntries } from './toc-parse.js';
import { STRUCTURE_FORMAT, STRUCTURE_VERSION, type BookStructure, type Entry, type Method } from './types.js';

/** Pages searched for a table of contents: books put it within the first few dozen. */
const TOC_SEARCH_PAGES = 40;

export interface AnalyzeOptions {
  password?: string;
  /** Called with every page's text as the pass reaches it (split writes its Markdown from here). */
  onPage?: (page: PageText) => void | Promise<void>;
}

export class Analysis {
  private readonly heads: PageHead[] = [];
  private readonly tocPages: PageText[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly heights: number[] = [];
  private readonly noText: number[] = [];
  /** Votes for physical - printed page number, from page numbers alone on a page's first or last line. */
  private readonly numberVotes = new Map<number, number>();
  private firstPageTitle: string | null = null;
  private scanned = 0;
  readonly warnings: string[] = [];

  private constructor(
    readonly pdf: OpenedPdf,
    private readonly meta: { title: string | null; author: string | null },
    readonly labels: { present: boolean; labels: string[] },
    private readonly outline: OutlineNode[],
    private readonly outlineHeights: Map<number, number>,
    private readonly outlinePresent: boolean,
  ) {}

  static async start(pdf: OpenedPdf): Promise<Analysis> {
    const { doc } = pdf;
    const meta = await readMetadata(pdf);
    const labels = await readPageLabels(doc);
    const outline = await readOutline(doc);
    // Heights of the pages that bookmarks point to, to tell a mid-page destination from a page-top one.
    const heights = new Map<number, number>();
    const visit = async (nodes: OutlineNode[]) => {
      for (const n of nodes) {
        if (n.pageIndex !== null && n.top !== null && !heights.has(n.pageIndex)) {
          const page = await doc.getPage(n.pageIndex + 1);
          heights.set(n.pageIndex, page.view[3]! - page.view[1]!);
        }
        await visit(n.children);
      }
    };
    await visit(outline);
    const present = outline.length > 0;
    return new Analysis(pdf, meta, labels, outline, heights, present);
  }

  /** True when the bookmarks give the structure, so it is known before the text is read. */
  get hasOutline(): boolean {
    return this.outline.some(function placed(n): boolean {
      return n.pageIndex !== null || n.children.some(placed);
    });
  }

  /** Collects from one page what the structure and the report need. Pages must come in order. */
  visit(page: PageText): void {
    this.scanned++;
    this.heights[page.page - 1] = page.height;
    if (page.lines.length === 0) this.noText.push(page.page);
    for (const l of [page.lines[0], page.lines[page.lines.length - 1]]) {
      if (l && /^\d{1,4}$/.test(l.text)) {
        const offset = page.page - Number(l.text);
        this.numberVotes.set(offset, (this.numberVotes.get(offset) ?? 0) + 1);
      }
    }
    for (const l of page.lines) {
      const s = Math.round(l.size * 2) / 2;
      this.sizes.set(s, (this.sizes.get(s) ?? 0) + l.text.length);
    }
    if (page.page === 1 && page.lines.length > 0) {
      const big = Math.max(...page.lines.map((l) => l.size));
      this.firstPageTitle = page.lines
        .filter((l) => l.size === big)
        .map((l) => l.text)
        .join(' ')
        .slice(0, 200);
    }
    if (!this.hasOutline) {
      this.heads.push(pageHead(page));
      if (page.page <= TOC_SEARCH_PAGES) this.tocPages.push(page);
    }
  }

  /** The PDF's labels, else labels inferred from printed page numbers once the pages are read. */
  pageLabels(): { source: 'pdf' | 'inferred' | 'physical'; labels: string[] } {
    if (this.labels.present) return { source: 'pdf', labels: this.labels.labels };
    const inferred =
      this.scanned === this.pdf.doc.numPages ? inferLabels(this.numberVotes, this.scanned) : null;
    return inferred
      ? { source: 'inferred', labels: inferred }
      : { source: 'physical', labels: this.labels.labels };
  }

  private build(found: FoundEntry[]): Entry[] {
    const heightOf = (i: number) => this.outlineHeights.get(i) ?? this.heights[i];
    return buildEntries(found, {
      pageCount: this.pdf.doc.numPages,
      labels: this.pageLabels().labels,
      pageHeight: heightOf,
      warnings: this.warnings,
    });
  }

  private found(): { method: Method; found: FoundEntry[] } {
    if (this.hasOutline) return { method: 'outline', found: this.outline.map(fromOutline) };
    const toc = findToc(this.tocPages);
    if (toc.length > 0) {
      const heads = new Map(this.heads.map((h) => [h.page, h.lines.slice(0, 6).map((l) => l.text)]));
      const labels = this.pageLabels();
      const mapping = mapPages(
        toc,
        labels.source === 'physical' ? null : labels.labels,
        heads,
        this.pdf.doc.numPages,
      );
      const found = tocEntries(toc, mapping);
      if (found.length > 0) {
        const how = labels.source === 'inferred' ? 'the page numbers printed on the pages' : mapping.how;
        this.warnings.push(`no bookmarks: structure read from the contents page(s), pages mapped by ${how}`);
        return { method: 'toc', found };
      }
    }
    // The title page's big type is the book's title, not a chapter.
    const bookTitle = (this.meta.title ?? this.firstPageTitle ?? '').toLowerCase();
    const headings = detectHeadings(this.heads, bodySize(this.sizes)).filter(
      (h) => !(h.pageIndex === 0 || (bookTitle && h.title.toLowerCase() === bookTitle)),
    );
    if (headings.length > 0) {
      this.warnings.push('no bookmarks and no contents page: structure read from headings on the pages');
      return { method: 'headings', found: headings };
    }
    // pdf.js reports a missing and an empty /Outlines alike (null), so the message covers both.
    const what = this.outlinePresent
      ? 'its outline (bookmarks) has no usable entries'
      : 'its outline (bookmarks) is empty or missing';
    throw new BookError(
      `${this.pdf.path}: no chapters found: ${what}, and no table of contents or chapter headings were found in its text`,
      'no-structure',
    );
  }

  /** The structure; before the pass only for books with bookmarks (pagesWithoutText is then empty). */
  structure(): BookStructure {
    if (this.scanned < this.pdf.doc.numPages && !this.hasOutline) {
      throw new Error('Analysis.structure: without bookmarks the pages must be scanned first');
    }
    const { method, found } = this.found();
    const entries = this.build(found);
    const n = this.pdf.doc.numPages;
    if (this.noText.length > 0) {
      this.warnings.push(
        `${this.noText.length} of ${n} pages have no extractable text` +
          (this.noText.length > n / 2 ? ': the PDF looks scanned and needs OCR' : ''),
      );
    }
    const titleFromMeta = this.meta.title;
    return {
      format: STRUCTURE_FORMAT,
      version: STRUCTURE_VERSION,
      source: {
        file: basename(this.pdf.path),
        bytes: this.pdf.bytes.length,
        sha256: createHash('sha256').update(this.pdf.bytes).digest('hex'),
      },
      title: titleFromMeta ?? this.firstPageTitle,
      author: this.meta.author,
      titleSource: titleFromMeta ? 'metadata' : this.firstPageTitle ? 'first-page' : null,
      pageCount: n,
      hasPageLabels: this.labels.present,
      pageLabelsSource: this.pageLabels().source,
      pageLabels: this.pageLabels().labels,
      method,
      matter: matterRanges(entries, n),
      entries,
      pagesWithoutText: [...this.noText],
      warnings: [...new Set(this.warnings)],
    };
  }
}

function fromOutline(n: OutlineNode): FoundEntry {
  return {
    title: n.title,
    pageIndex: n.pageIndex,
    top: n.top,
    method: 'outline',
    children: n.children.map(fromOutline),
  };
}

async function readMetadata(pdf: OpenedPdf): Promise<{ title: string | null; author: string | null }> {
  try {
    const { info, metadata } = await pdf.doc.getMetadata();
    const i = info as { Title?: unknown; Author?: unknown };
    const pick = (...vs: unknown[]) => {
      for (const v of vs) if (typeof v === 'string' && v.trim()) return v.replace(/\s+/g, ' ').trim();
      return null;
    };
    return {
      title: pick(metadata?.get('dc:title'), i.Title),
      author: pick(metadata?.get('dc:creator'), i.Author),
    };
  } catch {
    return { title: null, author: null };
  }
}

/** Opens and analyzes a book in one pass over its pages. */
export async function analyzeBook(path: string, options: AnalyzeOptions = {}): Promise<BookStructure> {
  const pdf = await openPdf(path, { password: options.password });
  try {
    const analysis = await Analysis.start(pdf);
    await scanPagesParallel(pdf, async (page) => {
      analysis.visit(page);
      await options.onPage?.(page);
    });
    return analysis.structure();
  } finally {
    await pdf.doc.destroy();
  }
}
