/**
 * Planning chunks from a structure: one per chapter, a caller's plan, or chapters packed up to a page
 * budget. A chunk is a page range plus the entries it covers; it knows nothing of files.
 */
import { BookError } from './errors.js';
import { chapterLevel, flatten } from './structure.js';
import type { BookStructure, Entry } from './types.js';

export interface ChunkPlan {
  title: string;
  /** Ids of the structure entries the chunk covers (chapter level). */
  entries: string[];
  firstPage: number;
  lastPage: number;
}

export type SplitBy =
  { by: 'chapter' } | { by: 'plan'; plan: unknown; planFile: string } | { by: 'max-pages'; maxPages: number };

/** Front matter as one chunk, each chapter and appendix its own, the rest of the back matter as one. */
export function chunksByChapter(s: BookStructure): ChunkPlan[] {
  const chunks: ChunkPlan[] = [];
  const { front, back } = s.matter;
  const top = chapterLevel(s.entries);
  if (front) {
    const ids = top.filter((e) => e.matter === 'front').map((e) => e.id);
    chunks.push({
      title: 'Front matter',
      entries: ids,
      firstPage: front.firstPage,
      lastPage: front.lastPage,
    });
  }
  let partStart: number | null = null;
  for (const e of top) {
    if (e.matter === 'front') continue;
    if (e.kind === 'part' && e.children.length > 0) {
      // A part's own pages (its title page, an introduction) go with its first chapter.
      partStart = e.firstPage;
      continue;
    }
    if (e.matter === 'back' && e.kind !== 'appendix') continue;
    const first = partStart !== null ? Math.min(partStart, e.firstPage) : e.firstPage;
    partStart = null;
    chunks.push({ title: e.title, entries: [e.id], firstPage: first, lastPage: e.lastPage });
  }
  const rest = top.filter((e) => e.matter === 'back' && e.kind !== 'appendix');
  if (back && rest.length > 0) {
    const first = Math.min(...rest.map((e) => e.firstPage));
    chunks.push({
      title: 'Back matter',
      entries: rest.map((e) => e.id),
      firstPage: first,
      lastPage: s.pageCount,
    });
  }
  return chunks;
}

/** Chapters packed in order into chunks of at most `max` pages; a longer chapter is cut into pieces. */
export function chunksByMaxPages(s: BookStructure, max: number): ChunkPlan[] {
  const out: ChunkPlan[] = [];
  let cur: ChunkPlan | null = null;
  const units =
    s.entries.length > 0
      ? chunksByChapter(s)
      : [{ title: s.title ?? 'Book', entries: [], firstPage: 1, lastPage: s.pageCount }];
  for (const u of units) {
    const pages = u.lastPage - u.firstPage + 1;
    if (pages > max) {
      if (cur) out.push(cur);
      cur = null;
      for (let p = u.firstPage, k = 1; p <= u.lastPage; p += max, k++) {
        const last = Math.min(u.lastPage, p + max - 1);
        out.push({
          title: `${u.title} (${k}/${Math.ceil(pages / max)})`,
          entries: u.entries,
          firstPage: p,
          lastPage: last,
        });
      }
      continue;
    }
    if (cur && u.lastPage - cur.firstPage + 1 <= max) {
      cur.title = `${cur.title}; ${u.title}`;
      cur.entries.push(...u.entries);
      cur.lastPage = Math.max(cur.lastPage, u.lastPage);
    } else {
      if (cur) out.push(cur);
      cur = { ...u, entries: [...u.entries] };
    }
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * A plan file: `{ "chunks": [ { "title"?: string, "entries"?: ["3", "4"], "pages"?: [first, last] } ] }`,
 * entries by printed number ("3" is chapter 3, "A" appendix A, "2.1" a section) or else by structure id
 * ("1.2"); a chunk spans its entries' pages unless
 * `pages` says otherwise.
 */
export function chunksByPlan(s: BookStructure, plan: unknown, planFile: string): ChunkPlan[] {
  const bad = (why: string) => new BookError(`${planFile}: bad plan: ${why}`, 'bad-input');
  const chunks = (plan as { chunks?: unknown })?.chunks;
  if (!Array.isArray(chunks) || chunks.length === 0)
    throw bad('expected {"chunks": [...]} with at least one chunk');
  const all = flatten(s.entries);
  return chunks.map((c: unknown, i: number) => {
    const item = c as { title?: unknown; entries?: unknown; pages?: unknown };
    const refs = item.entries === undefined ? [] : item.entries;
    if (!Array.isArray(refs) || !refs.every((r) => typeof r === 'string'))
      throw bad(`chunk ${i + 1}: "entries" must be a list of strings`);
    const found: Entry[] = refs.map((r: string) => {
      const e =
        all.find(
          (x) => x.number === r && (x.kind === 'chapter' || x.kind === 'appendix' || x.kind === 'part'),
        ) ??
        all.find((x) => x.number === r) ??
        all.find((x) => x.id === r);
      if (!e) throw bad(`chunk ${i + 1}: no entry "${r}" in the structure`);
      return e;
    });
    let first: number;
    let last: number;
    if (item.pages !== undefined) {
      const p = item.pages;
      if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x)))
        throw bad(`chunk ${i + 1}: "pages" must be [first, last]`);
      [first, last] = p as [number, number];
    } else if (found.length > 0) {
      first = Math.min(...found.map((e) => e.firstPage));
      last = Math.max(...found.map((e) => e.lastPage));
    } else throw bad(`chunk ${i + 1}: needs "entries" or "pages"`);
    if (first < 1 || last > s.pageCount || first > last)
      throw bad(`chunk ${i + 1}: pages ${first}-${last} outside 1-${s.pageCount}`);
    const title =
      typeof item.title === 'string'
        ? item.title
        : found.map((e) => e.title).join('; ') || `Pages ${first}-${last}`;
    return { title, entries: found.map((e) => e.id), firstPage: first, lastPage: last };
  });
}

export function planChunks(s: BookStructure, split: SplitBy): ChunkPlan[] {
  if (split.by === 'chapter') return chunksByChapter(s);
  if (split.by === 'max-pages') return chunksByMaxPages(s, split.maxPages);
  return chunksByPlan(s, split.plan, split.planFile);
}
