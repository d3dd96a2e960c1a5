/**
 * The table-of-contents fallback for books without bookmarks: find the contents pages, parse their
 * entries (title, dot leaders, printed page number), and map printed numbers to PDF pages, through
 * the page labels when the PDF has them, else by the offset between printed and physical numbers.
 */
import type { Line, PageText } from './pages.js';
import { printedNumber } from './page-labels.js';
import type { FoundEntry } from './structure.js';

export interface TocLine {
  title: string;
  printed: string;
  x: number;
  page: number;
}

// Title, then dot leaders (or a gap), then a printed page number at the end of the line.
const ENTRY = /^(.*?\S)\s*(?:(?:[.·•…_]\s*){2,}|\s)\s*(\d{1,4}|[ivxlcdm]{1,7})$/i;
const HEADING = /^(table of )?contents$|^brief contents$|^contents at a glance$/i;
const PART = /^part\s+([0-9]+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten)\b/i;
const ENDS_PART =
  /^((appendix|annex)\b|(.*\s)?index$|glossary$|bibliography$|references$|afterword$|colophon$|appendi(ces|xes)$)/i;

/** Entry lines of one page, or [] when the page does not read as a contents page. */
export function parseTocPage(page: PageText, continuing: boolean): TocLine[] {
  const lines = page.lines;
  const headed = lines.slice(0, 5).some((l) => HEADING.test(l.text.trim()));
  const out: TocLine[] = [];
  let pending: Line | null = null;
  for (const line of lines) {
    const text = line.text.trim();
    if (HEADING.test(text)) continue;
    const m = ENTRY.exec(text);
    if (m && hasLeaderOrIsShort(text, m[1]!)) {
      // A title that wrapped: its first half is the line before, which had no page number.
      const title =
        (pending && Math.abs(pending.x - line.x) < 30 ? pending.text.trim() + ' ' : '') + m[1]!.trim();
      out.push({
        title: title.replace(/\s*[.·•…_]+$/, '').trim(),
        printed: m[2]!,
        x: pending?.x ?? line.x,
        page: page.page,
      });
      pending = null;
    } else {
      pending = /^\d+$/.test(text) ? null : line;
    }
  }
  // A contents page has a heading or many entry lines; a page continuing one needs a few.
  const enough = headed ? out.length >= 2 : continuing ? out.length >= 3 : out.length >= 8;
  if (!enough) return [];
  // Without a heading, rows of a data table or an index read as entries too: a contents page's
  // titles are words, and its page numbers go forward.
  if (!headed && (out.filter((e) => looksLikeData(e.title)).length * 2 > out.length || goesBack(out)))
    return [];
  return out;
}

/** A row of numbers rather than a title: after any section number, half its words or more are numbers. */
export function looksLikeData(title: string): boolean {
  const words = title
    .replace(/^\d+(\.\d+)*\.?\s+/, '')
    .split(/\s+/)
    .filter(Boolean);
  const numbers = words.filter((w) => /^[-+]?[\d.,]+%?$/.test(w)).length;
  return numbers >= 2 && numbers * 2 >= words.length;
}

/** Page numbers that go back more than now and then: an index (alphabetical) or a table. */
function goesBack(lines: TocLine[]): boolean {
  const pages = lines.map((l) => (/^\d+$/.test(l.printed) ? Number(l.printed) : null));
  let pairs = 0;
  let back = 0;
  for (let i = 1; i < pages.length; i++) {
    if (pages[i] === null || pages[i - 1] === null) continue;
    pairs++;
    if (pages[i]! < pages[i - 1]!) back++;
  }
  return pairs > 0 && back * 5 > pairs;
}

function hasLeaderOrIsShort(text: string, title: string): boolean {
  // Without leaders any sentence ending in a number would match; keep those only when short, title-like.
  return (
    /[.·•…_]\s*[.·•…_]/.test(text.slice(title.length)) || (title.length <= 70 && /^[A-Z0-9]/.test(title))
  );
}

/** Contents entries from the first pages of a book: the first run of consecutive contents pages. */
export function findToc(pages: PageText[]): TocLine[] {
  const out: TocLine[] = [];
  let last = -1;
  for (const page of pages) {
    const continuing = last >= 0 && page.page === last + 1;
    if (last >= 0 && !continuing) break;
    const entries = parseTocPage(page, continuing);
    if (entries.length > 0) {
      out.push(...entries);
      last = page.page;
    } else if (last >= 0) break;
  }
  return out;
}

/** Depth of an entry: from its numbering when it has one (1.2.3 -> 2, 7 -> 0), else from its indentation. */
function levels(lines: TocLine[]): number[] {
  // Indentation is relative to the page: books shift odd and even pages' margins.
  const minX = new Map<number, number>();
  for (const l of lines) minX.set(l.page, Math.min(minX.get(l.page) ?? Infinity, l.x));
  return lines.map((l) => {
    const n = /^(\d+(?:\.\d+)*)\.?\s/.exec(l.title);
    if (n) return n[1]!.split('.').length - 1;
    return l.x > minX.get(l.page)! + 8 ? 1 : 0;
  });
}

export interface Mapping {
  /** physical page index (0-based) for a printed label, or null. */
  toIndex(printed: string): number | null;
  how: string;
}

/**
 * Maps printed page numbers to PDF pages. With page labels, by label. Otherwise by the offset
 * physical - printed that most entries agree on, found by looking for each entry's title in the first
 * lines of the pages; page-number lines (a header or footer holding just "37") vote too.
 */
export function mapPages(
  entries: TocLine[],
  labels: string[] | null,
  heads: Map<number, string[]>,
  pageCount: number,
): Mapping {
  if (labels) {
    return {
      toIndex: (printed) => {
        const i = labels.findIndex((l) => l.toLowerCase() === printed.toLowerCase());
        return i >= 0 ? i : null;
      },
      how: 'page labels',
    };
  }
  const votes = new Map<number, number>();
  const vote = (offset: number, weight: number) => votes.set(offset, (votes.get(offset) ?? 0) + weight);
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  for (const e of entries) {
    const p = printedNumber(e.printed);
    if (!p || p.roman) continue;
    const title = norm(
      e.title.replace(/^(chapter|part|appendix)\s+\S+\s*/i, '').replace(/^\d+(\.\d+)*\s+/, ''),
    );
    if (title.length < 4) continue;
    for (const [page, lines] of heads) {
      if (page <= e.page) continue;
      if (lines.some((l) => norm(l).endsWith(title))) vote(page - p.value, 3);
    }
  }
  for (const [page, lines] of heads) {
    for (const l of lines) if (/^\d{1,4}$/.test(l.trim())) vote(page - Number(l.trim()), 1);
  }
  let best = 0;
  let bestVotes = -1;
  for (const [offset, v] of votes) if (v > bestVotes) [best, bestVotes] = [offset, v];
  return {
    toIndex: (printed) => {
      const p = printedNumber(printed);
      if (!p) return null;
      // Roman front-matter numbers without labels: counted from the first page.
      const physical = p.roman ? p.value : p.value + best;
      return physical >= 1 && physical <= pageCount ? physical - 1 : null;
    },
    how: bestVotes > 0 ? `offset ${best}` : 'no offset found',
  };
}

/** The contents entries as a tree of found entries. */
export function tocEntries(lines: TocLine[], mapping: Mapping): FoundEntry[] {
  const lv = levels(lines);
  const roots: FoundEntry[] = [];
  const stack: { level: number; entry: FoundEntry }[] = [];
  let inPart = false;
  lines.forEach((l, i) => {
    const entry: FoundEntry = {
      title: l.title,
      pageIndex: mapping.toIndex(l.printed),
      method: 'toc',
      children: [],
    };
    const isPart = PART.test(l.title);
    if (isPart) inPart = true;
    else if (ENDS_PART.test(l.title)) inPart = false;
    const level = isPart ? 0 : lv[i]! + (inPart ? 1 : 0);
    while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
    (stack.length > 0 ? stack[stack.length - 1]!.entry.children : roots).push(entry);
    stack.push({ level, entry });
  });
  return roots;
}
