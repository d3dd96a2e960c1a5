/**
 * The structure of a book as `book analyze` finds it: the versioned `structure.json` format that the
 * planner (issue 11) consumes. docs/crew-book.md documents every field; bump STRUCTURE_VERSION on any
 * change that an old reader would misread.
 */

export const STRUCTURE_FORMAT = 'llm-crew/book-structure';
export const STRUCTURE_VERSION = 1;

/** How an entry was found: the PDF's bookmarks, a parsed table-of-contents page, or headings in the text. */
export type Method = 'outline' | 'toc' | 'headings';

export type EntryKind = 'part' | 'chapter' | 'section' | 'appendix' | 'front' | 'back';
export type Matter = 'front' | 'body' | 'back';

export interface Entry {
  /** Path in the tree, 1-based: "3" is the third top-level entry, "3.2" its second child. */
  id: string;
  title: string;
  kind: EntryKind;
  matter: Matter;
  /** Depth in the tree, 0 for top-level entries. */
  level: number;
  /** The number printed in the title ("3", "A", "3.2"), or null when the title has none. */
  number: string | null;
  /** First and last PDF page covered (1-based, inclusive). */
  firstPage: number;
  lastPage: number;
  pageCount: number;
  /** Printed page labels of firstPage and lastPage (e.g. "xii", "37"). */
  firstLabel: string;
  lastLabel: string;
  method: Method;
  children: Entry[];
}

export interface PageRange {
  firstPage: number;
  lastPage: number;
}

export interface BookStructure {
  format: typeof STRUCTURE_FORMAT;
  version: typeof STRUCTURE_VERSION;
  source: { file: string; bytes: number; sha256: string };
  title: string | null;
  author: string | null;
  /** Where the title came from: the PDF's metadata, or the largest text on the first page. */
  titleSource: 'metadata' | 'first-page' | null;
  pageCount: number;
  /** True when the PDF carries page labels. */
  hasPageLabels: boolean;
  /**
   * Where pageLabels come from: the PDF's /PageLabels; inferred from the page numbers printed on the
   * pages (arabic from the body on, roman before it, counted from the first page); or, when neither
   * is there, the physical page numbers.
   */
  pageLabelsSource: 'pdf' | 'inferred' | 'physical';
  /** Printed label of every page: pageLabels[0] is PDF page 1. */
  pageLabels: string[];
  /** How the top-level entries were found (entries carry their own method too). */
  method: Method;
  matter: { front: PageRange | null; body: PageRange | null; back: PageRange | null };
  entries: Entry[];
  /** PDF pages (1-based) with no extractable text: scans that need OCR, or blank pages. */
  pagesWithoutText: number[];
  warnings: string[];
}
