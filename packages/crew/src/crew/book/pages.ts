/**
 * Streaming a PDF's text page by page, as lines. Nothing is kept between pages: a caller that needs
 * something later (a page's first lines, a table of contents) keeps just that, so a 1,000-page book
 * never sits in memory as text.
 */
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { BookError } from './errors.js';

export interface Line {
  text: string;
  /** Left edge and baseline in PDF units (y grows upwards). */
  x: number;
  y: number;
  /** Font size of the line's largest text, in PDF units. */
  size: number;
  /** Every glyph on the line is in a fixed-pitch font: a code listing's line. */
  mono: boolean;
}

export interface PageText {
  /** 1-based PDF page number. */
  page: number;
  width: number;
  height: number;
  /** Lines from the top of the page down. */
  lines: Line[];
}

interface Item {
  str: string;
  x: number;
  y: number;
  w: number;
  size: number;
  mono: boolean;
}

type RawTextItem = { str?: string; transform?: number[]; width?: number; fontName?: string };

export async function readPage(doc: PDFDocumentProxy, pageNumber: number, path: string): Promise<PageText> {
  try {
    const page = await doc.getPage(pageNumber);
    const [x0, y0, x1, y1] = page.view;
    const content = await page.getTextContent();
    const styles = content.styles as Record<string, { fontFamily?: string }>;
    const items: Item[] = [];
    for (const raw of content.items as RawTextItem[]) {
      if (!raw.str || !raw.transform) continue;
      const t = raw.transform;
      const size = Math.hypot(t[2]!, t[3]!) || Math.hypot(t[0]!, t[1]!);
      const family = styles[raw.fontName ?? '']?.fontFamily ?? '';
      items.push({ str: raw.str, x: t[4]!, y: t[5]!, w: raw.width ?? 0, size, mono: family === 'monospace' });
    }
    page.cleanup();
    return { page: pageNumber, width: x1! - x0!, height: y1! - y0!, lines: toLines(items) };
  } catch (err) {
    if (err instanceof BookError) throw err;
    const msg = (err as Error)?.message ?? String(err);
    throw new BookError(
      `${path}: truncated or corrupt PDF (page ${pageNumber}: ${msg.split('\n')[0]})`,
      'corrupt',
    );
  }
}

/** Visits pages first..last in order, one at a time. */
export async function scanPages(
  doc: PDFDocumentProxy,
  path: string,
  visit: (page: PageText) => void | Promise<void>,
  range: { first?: number; last?: number } = {},
): Promise<void> {
  const first = range.first ?? 1;
  const last = range.last ?? doc.numPages;
  for (let p = first; p <= last; p++) await visit(await readPage(doc, p, path));
}

/** Groups text runs into lines by baseline, top to bottom, each line left to right. */
export function toLines(items: Item[]): Line[] {
  const sorted = items
    .filter((i) => i.str.trim() !== '' || i.str === ' ')
    .sort((a, b) => b.y - a.y || a.x - b.x);
  const groups: Item[][] = [];
  for (const it of sorted) {
    const g = groups[groups.length - 1];
    // Same line when baselines are within a third of the font size (sub/superscripts join their line).
    if (g && Math.abs(g[0]!.y - it.y) <= Math.max(1, 0.35 * Math.min(g[0]!.size, it.size))) g.push(it);
    else groups.push([it]);
  }
  const lines: Line[] = [];
  for (const g of groups) {
    g.sort((a, b) => a.x - b.x);
    let text = '';
    let end = -Infinity;
    for (const it of g) {
      // A gap wider than a fifth of the font size is a word space the PDF did not write as a glyph.
      if (text && it.x - end > 0.2 * it.size && !/\s$/.test(text) && !/^\s/.test(it.str)) text += ' ';
      text += it.str;
      end = Math.max(end, it.x + it.w);
    }
    text = text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const glyphs = g.filter((i) => i.str.trim() !== '');
    lines.push({
      text,
      x: g[0]!.x,
      y: g[0]!.y,
      size: Math.max(...g.map((i) => i.size)),
      mono: glyphs.length > 0 && glyphs.every((i) => i.mono),
    });
  }
  return lines;
}
