/**
 * Printed page labels (PDF 32000 §12.4.2): what the reader sees in the margin, "xii" in the front
 * matter and "37" in the body, as opposed to the physical page number.
 */
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface PageLabels {
  /** True when the PDF has a /PageLabels tree that says something other than 1..n. */
  present: boolean;
  /** labels[i] is the label of PDF page i + 1. */
  labels: string[];
}

export async function readPageLabels(doc: PDFDocumentProxy): Promise<PageLabels> {
  const n = doc.numPages;
  let raw: string[] | null = null;
  try {
    raw = await doc.getPageLabels();
  } catch {
    // A broken label tree is not worth failing the book over: fall back to physical numbers.
    raw = null;
  }
  const physical = Array.from({ length: n }, (_, i) => String(i + 1));
  // pdf.js returns null without a tree; like its viewer, ignore trees that only restate 1..n or are all empty.
  if (!raw || raw.length !== n || raw.every((l) => l === '') || raw.every((l, i) => l === physical[i])) {
    return { present: false, labels: physical };
  }
  return { present: true, labels: raw.map((l, i) => (l === '' ? physical[i]! : l)) };
}

const ROMAN = /^(?=[mdclxvi])m{0,4}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$/i;

export function isRoman(s: string): boolean {
  return s.length > 0 && ROMAN.test(s);
}

export function romanToInt(s: string): number {
  const v: Record<string, number> = { i: 1, v: 5, x: 10, l: 50, c: 100, d: 500, m: 1000 };
  let total = 0;
  const t = s.toLowerCase();
  for (let i = 0; i < t.length; i++) {
    const cur = v[t[i]!]!;
    const next = v[t[i + 1] ?? ''] ?? 0;
    total += cur < next ? -cur : cur;
  }
  return total;
}

/** The numeric value of a printed page number ("37" -> 37, "xii" -> 12), or null. */
export function printedNumber(label: string): { value: number; roman: boolean } | null {
  if (/^\d+$/.test(label)) return { value: Number(label), roman: false };
  if (isRoman(label)) return { value: romanToInt(label), roman: true };
  return null;
}

export function intToRoman(n: number): string {
  const table: [number, string][] = [
    [1000, 'm'],
    [900, 'cm'],
    [500, 'd'],
    [400, 'cd'],
    [100, 'c'],
    [90, 'xc'],
    [50, 'l'],
    [40, 'xl'],
    [10, 'x'],
    [9, 'ix'],
    [5, 'v'],
    [4, 'iv'],
    [1, 'i'],
  ];
  let out = '';
  for (const [v, r] of table)
    while (n >= v) {
      out += r;
      n -= v;
    }
  return out;
}

/**
 * Labels from the page numbers printed on the pages, for PDFs without /PageLabels: the offset
 * (physical - printed) most header and footer numbers agree on, when enough of them do. Pages before
 * the body get roman numbers counted from the first page, as books number their front matter.
 */
export function inferLabels(votes: Map<number, number>, pageCount: number): string[] | null {
  let best = 0;
  let bestVotes = 0;
  let total = 0;
  for (const [offset, v] of votes) {
    total += v;
    if (v > bestVotes) [best, bestVotes] = [offset, v];
  }
  if (bestVotes < 3 || bestVotes < 0.5 * total || best < 0) return null;
  return Array.from({ length: pageCount }, (_, i) =>
    i + 1 > best ? String(i + 1 - best) : intToRoman(i + 1),
  );
}

/** "20-28", or "T-1 to 1" when a label has a hyphen of its own. */
export function labelRange(first: string, last: string): string {
  if (first === last) return first;
  return /-/.test(first + last) ? `${first} to ${last}` : `${first}-${last}`;
}
