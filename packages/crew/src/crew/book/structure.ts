/**
 * From found entries (bookmarks, a parsed contents page or detected headings) to the book's tree:
 * page ranges, kinds (part, chapter, section, appendix, front, back) and front/body/back matter.
 */
import { isRoman } from './page-labels.js';
import type { Entry, EntryKind, Matter, Method, PageRange } from './types.js';

/** An entry as a finder produced it: a title and where it starts. */
export interface FoundEntry {
  title: string;
  /** 0-based page index, or null when the finder could not place it. */
  pageIndex: number | null;
  /** The destination's top edge in PDF units, when known: tells a mid-page start from a page-top one. */
  top?: number | null;
  method: Method;
  children: FoundEntry[];
}

export interface BuildContext {
  pageCount: number;
  labels: string[];
  /** Page heights in PDF units (index = 0-based page), for telling where a destination sits. */
  pageHeight: (pageIndex: number) => number | undefined;
  warnings: string[];
}

const FRONT =
  /^(cover|front ?cover|title( page)?|half[- ]title|copyright|dedication|epigraph|(table of )?contents|brief contents|contents at a glance|(list of )(figures|tables|listings|illustrations|abbreviations)|foreword|preface|prologue|acknowledge?ments?|about (this|the) (book|authors?|cover( illustration)?|technical reviewers?)|about the authors?|praise( for.*)?|welcome|how to (use|read) this book|who should read this book|abbreviations|notation|conventions( used.*)?|front ?matter|introduction to this book)$/i;
const BACK =
  /^((.*\s)?index|glossary|bibliography|references|further reading|afterword|epilogue|colophon|endnotes|notes|back ?cover|back ?matter|answers to (the )?exercises|solutions( to (the )?exercises)?|appendi(ces|xes))$/i;
const PART = /^part\s+([0-9]+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten)\b/i;
const APPENDIX = /^(appendix|annex)\b/i;
const KEYWORD_NUMBER =
  /^(?:chapter|part|appendix|annex|section|lesson|unit|module)\s+([0-9]+|[IVXLC]+|[A-Z])\b/i;
const LEADING_NUMBER = /^([0-9]+(?:\.[0-9]+)*)\.?(?:\s|$)/;
const LEADING_LETTER = /^([A-Z](?:\.[0-9]+)*)[.:]?\s+\S/;

/** The number printed in a title: "Chapter 3 ..." -> "3", "3.2 Foo" -> "3.2", "A.1 Foo" -> "A.1". */
export function titleNumber(title: string, allowBareLetter: boolean): string | null {
  const k = KEYWORD_NUMBER.exec(title);
  if (k) return k[1]!;
  const n = LEADING_NUMBER.exec(title);
  if (n) return n[1]!;
  const l = LEADING_LETTER.exec(title);
  // A bare capital ("A Sample Session") is only an appendix letter once numbered chapters came before it,
  // or when it is dotted (A.1).
  if (l && (allowBareLetter || l[1]!.includes('.'))) return l[1]!;
  return null;
}

function stripNumber(title: string): string {
  return title
    .replace(KEYWORD_NUMBER, '')
    .replace(LEADING_NUMBER, '')
    .replace(/^[\s:.\-–—]+/, '')
    .trim();
}

/** Places entries without a page at their first placed child; drops the rest with a warning. */
function place(entries: FoundEntry[], warnings: string[]): FoundEntry[] {
  const out: FoundEntry[] = [];
  for (const e of entries) {
    const children = place(e.children, warnings);
    let pageIndex = e.pageIndex;
    if (pageIndex === null && children.length > 0) pageIndex = children[0]!.pageIndex;
    if (pageIndex === null) {
      warnings.push(`entry "${e.title}" points to no page; left out`);
      continue;
    }
    out.push({ ...e, pageIndex, children });
  }
  return out;
}

export function buildEntries(found: FoundEntry[], ctx: BuildContext): Entry[] {
  const placed = place(found, ctx.warnings);
  const n = ctx.pageCount;
  const startsMidPage = (e: FoundEntry): boolean => {
    const h = ctx.pageHeight(e.pageIndex!);
    // A destination more than 15% of the page height below the top edge starts below the page's first
    // lines, so the entry before it still runs onto that page.
    return e.top != null && h !== undefined && e.top < 0.85 * h;
  };
  const make = (list: FoundEntry[], level: number, prefix: string, parentLast: number): Entry[] =>
    list.map((e, i) => {
      const first = Math.min(e.pageIndex! + 1, n);
      const next = list[i + 1];
      let last = next ? next.pageIndex! + (startsMidPage(next) ? 1 : 0) : parentLast;
      last = Math.max(first, Math.min(last, parentLast));
      const id = prefix ? `${prefix}.${i + 1}` : String(i + 1);
      return {
        id,
        title: e.title,
        kind: 'section' as EntryKind,
        matter: 'body' as Matter,
        level,
        number: null,
        firstPage: first,
        lastPage: last,
        pageCount: last - first + 1,
        firstLabel: ctx.labels[first - 1] ?? String(first),
        lastLabel: ctx.labels[last - 1] ?? String(last),
        method: e.method,
        children: make(e.children, level + 1, id, last),
      };
    });
  const entries = make(placed, 0, '', n);
  classify(entries);
  return entries;
}

/** Kinds and matter for the tree, in place. */
export function classify(entries: Entry[]): void {
  let seenNumbered = false;
  for (const e of entries) {
    const number = titleNumber(e.title, seenNumbered);
    e.number = number;
    const bare = stripNumber(e.title);
    if (PART.test(e.title)) e.kind = 'part';
    else if (APPENDIX.test(e.title) || (number !== null && /^[A-Z]/.test(number) && seenNumbered))
      e.kind = 'appendix';
    else if (number === null && BACK.test(bare)) e.kind = 'back';
    else if (number === null && FRONT.test(bare)) e.kind = 'front';
    else if (number === null && !seenNumbered && isRoman(e.firstLabel) && e.children.length === 0)
      e.kind = 'front';
    else e.kind = 'chapter';
    if (e.kind === 'chapter' && number !== null) seenNumbered = true;
    if (e.kind === 'part' && e.children.some((c) => titleNumber(c.title, false) !== null))
      seenNumbered = true;
  }
  const isBody = (e: Entry) => e.kind === 'chapter' || e.kind === 'part';
  const firstBody = entries.findIndex(isBody);
  const lastBody = entries.length - 1 - [...entries].reverse().findIndex(isBody);
  entries.forEach((e, i) => {
    if (firstBody < 0)
      e.matter = e.kind === 'front' ? 'front' : e.kind === 'back' || e.kind === 'appendix' ? 'back' : 'body';
    else e.matter = i < firstBody ? 'front' : i > lastBody ? 'back' : 'body';
    // A front- or back-looking title among the chapters ("Notes" between chapters) is read as a chapter.
    if (e.matter === 'body' && (e.kind === 'front' || e.kind === 'back')) e.kind = 'chapter';
    if (e.matter === 'front' && e.kind === 'chapter') e.kind = 'front';
    if (e.matter === 'back' && e.kind === 'chapter') e.kind = 'back';
    classifyChildren(e);
  });
}

function classifyChildren(parent: Entry): void {
  let seenNumbered = false;
  for (const c of parent.children) {
    c.matter = parent.matter;
    c.number = titleNumber(c.title, seenNumbered || parent.kind === 'appendix');
    if (parent.kind === 'part') {
      if (APPENDIX.test(c.title)) c.kind = 'appendix';
      else c.kind = 'chapter';
      if (c.number !== null) seenNumbered = true;
    } else if (BACK.test(parent.title) && /^appendi(ces|xes)$/i.test(parent.title.trim())) {
      c.kind = 'appendix';
    } else c.kind = 'section';
    classifyChildren(c);
  }
}

/** The chapter-level entries: top-level ones, with parts replaced by their chapters. */
export function chapterLevel(entries: Entry[]): Entry[] {
  return entries.flatMap((e) => (e.kind === 'part' && e.children.length > 0 ? [e, ...e.children] : [e]));
}

export function matterRanges(
  entries: Entry[],
  pageCount: number,
): { front: PageRange | null; body: PageRange | null; back: PageRange | null } {
  const body = entries.filter((e) => e.matter === 'body');
  if (body.length === 0) return { front: null, body: { firstPage: 1, lastPage: pageCount }, back: null };
  const first = Math.min(...body.map((e) => e.firstPage));
  const last = Math.max(...body.map((e) => e.lastPage));
  const backEntries = entries.filter((e) => e.matter === 'back');
  // The body's last page may be shared with the first back-matter entry; back matter starts after it.
  const backFirst =
    backEntries.length > 0 ? Math.max(last + 1, Math.min(...backEntries.map((e) => e.firstPage))) : last + 1;
  return {
    front: first > 1 ? { firstPage: 1, lastPage: first - 1 } : null,
    body: { firstPage: first, lastPage: last },
    back: backFirst <= pageCount && last < pageCount ? { firstPage: backFirst, lastPage: pageCount } : null,
  };
}

export function flatten(entries: Entry[]): Entry[] {
  return entries.flatMap((e) => [e, ...flatten(e.children)]);
}
