/**
 * The last fallback: chapter and section headings detected on the pages themselves, by their words
 * ("Chapter 3", "Appendix B") or by type set clearly larger than the body text.
 */
import type { Line, PageText } from './pages.js';
import type { FoundEntry } from './structure.js';

/** What the scan keeps of a page for heading detection: its first lines and its larger lines. */
export interface PageHead {
  page: number;
  lines: Line[];
}

const CHAPTER = /^(chapter|appendix|part)\s+([0-9]+|[IVXLC]+|[A-Z])\b\s*[:.\-–—]?\s*(.*)$/i;
const SECTION = /^(\d+|[A-Z])\.\d+(\.\d+)?\.?\s+\S/;

/** Keeps the lines of a page that could be headings: the first few, and any larger than most text. */
export function pageHead(page: PageText): PageHead {
  const sizes = new Map<number, number>();
  for (const l of page.lines) sizes.set(round(l.size), (sizes.get(round(l.size)) ?? 0) + l.text.length);
  const dominant = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  const lines = page.lines.filter((l, i) => i < 4 || l.size >= 1.1 * dominant);
  return { page: page.page, lines };
}

function round(size: number): number {
  return Math.round(size * 2) / 2;
}

/** Body text size: the size most characters are set in, over the whole book. */
export function bodySize(histogram: Map<number, number>): number {
  return [...histogram.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 10;
}

export function detectHeadings(heads: PageHead[], body: number): FoundEntry[] {
  // Running heads repeat on many pages; a heading appears once.
  const seen = new Map<string, number>();
  for (const h of heads) for (const l of h.lines) seen.set(l.text, (seen.get(l.text) ?? 0) + 1);
  const repeated = (t: string) => (seen.get(t) ?? 0) > 3;

  const roots: FoundEntry[] = [];
  for (const h of heads) {
    const lines = h.lines.filter((l) => !repeated(l.text) && !/^\d+$/.test(l.text));
    lines.forEach((l, i) => {
      const top = i < 3;
      const m = CHAPTER.exec(l.text);
      if (top && m && l.size >= body) {
        const next = lines[i + 1];
        const title = m[3] ? l.text : next && next.size >= 1.2 * body ? `${l.text} ${next.text}` : l.text;
        roots.push({ title, pageIndex: h.page - 1, method: 'headings', children: [] });
        return;
      }
      if (i > 0 && CHAPTER.exec(lines[i - 1]!.text) && top) return; // the title line of "Chapter 3" above
      if (
        top &&
        l.size >= 1.5 * body &&
        l.text.length <= 80 &&
        roots[roots.length - 1]?.pageIndex !== h.page - 1
      ) {
        roots.push({ title: l.text, pageIndex: h.page - 1, method: 'headings', children: [] });
        return;
      }
      if (SECTION.test(l.text) && l.size >= 1.15 * body && l.text.length <= 100 && roots.length > 0) {
        roots[roots.length - 1]!.children.push({
          title: l.text,
          pageIndex: h.page - 1,
          top: l.y + l.size,
          method: 'headings',
          children: [],
        });
      }
    });
  }
  return roots;
}
