/** What the planner needs from a book: its chapters with page ranges, and section lookup by number. */
import { readFileSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';
import { STRUCTURE_FORMAT, STRUCTURE_VERSION, type BookStructure, type Entry } from '../book/types.js';

export function readStructure(file: string): BookStructure {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why =
      err instanceof SyntaxError ? 'not valid JSON' : `cannot read (${(err as NodeJS.ErrnoException).code})`;
    throw new UserError(`${file}: ${why}; make it with 'llm-crew book analyze BOOK.pdf --out ${file}'`);
  }
  const s = raw as Partial<BookStructure>;
  if (s.format !== STRUCTURE_FORMAT)
    throw new UserError(`${file}: not a ${STRUCTURE_FORMAT} file (format: ${JSON.stringify(s.format)})`);
  if (s.version !== STRUCTURE_VERSION)
    throw new UserError(
      `${file}: ${STRUCTURE_FORMAT} version ${s.version}; this llm-crew reads version ${STRUCTURE_VERSION}`,
    );
  if (!Array.isArray(s.entries)) throw new UserError(`${file}: entries is missing`);
  return s as BookStructure;
}

function* walk(entries: Entry[]): Generator<Entry> {
  for (const e of entries) {
    yield e;
    yield* walk(e.children);
  }
}

/** Numbered chapters (inside parts too) of the body, in book order. */
export function chapters(s: BookStructure): Entry[] {
  return [...walk(s.entries)].filter((e) => e.kind === 'chapter' && e.matter === 'body' && e.number !== null);
}

/**
 * The chapters a plan assigns: the numbered ones; in a book whose chapters carry no numbers (a
 * reference manual's package chapters), every chapter of the body, named by its id.
 */
export function planChapters(s: BookStructure): Entry[] {
  const numbered = chapters(s);
  if (numbered.length > 0) return numbered;
  return [...walk(s.entries)].filter((e) => e.kind === 'chapter' && e.matter === 'body');
}

/** How a plan names a chapter or section: its printed number, else its id in the structure. */
export const entryRef = (e: Entry): string => e.number ?? e.id;

/** The chapter or section whose printed number is `ref` ("2", "2.3"), or, failing that, whose id is. */
export function findEntry(s: BookStructure, ref: string): Entry | null {
  const all = [...walk(s.entries)];
  return all.find((e) => e.number === ref) ?? all.find((e) => e.id === ref) ?? null;
}

/** "p. 17-48 (PDF 39-70)": printed labels first, since that is what a reader of the book sees. */
export function pagesText(e: Entry): string {
  const printed = e.firstLabel === e.lastLabel ? e.firstLabel : `${e.firstLabel}-${e.lastLabel}`;
  const pdf = e.firstPage === e.lastPage ? `${e.firstPage}` : `${e.firstPage}-${e.lastPage}`;
  return `p. ${printed} (PDF ${pdf})`;
}
