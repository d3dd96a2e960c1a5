/**
 * A chunk's text as Markdown for a coding agent: a marker per page with its PDF number and printed
 * label, the structure's titles as headings, other large lines as minor headings, and runs of
 * fixed-pitch lines (code listings) as fenced code blocks with their indentation rebuilt.
 */
import type { Line, PageText } from './pages.js';

export interface HeadingHint {
  title: string;
  /** Markdown heading depth (2 = ##). */
  depth: number;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

export function pageMarker(page: number, label: string): string {
  return `<!-- page ${page} (printed ${label}) -->`;
}

/** Markdown for one page. `hints` are the structure's entries that start on this page. */
export function pageMarkdown(page: PageText, label: string, hints: HeadingHint[]): string {
  const out: string[] = [pageMarker(page.page, label), ''];
  const lines = dropPageNumbers(page.lines);
  const dominant = dominantSize(lines);
  const pending = new Map(hints.map((h) => [norm(h.title), h]));
  let code: Line[] = [];
  const flushCode = () => {
    if (code.length === 0) return;
    const minX = Math.min(...code.map((l) => l.x));
    out.push('```');
    for (const l of code) {
      // Fixed pitch: a glyph is about 0.6 em wide, which turns an x offset back into leading spaces.
      const indent = Math.max(0, Math.round((l.x - minX) / (0.6 * l.size)));
      out.push(' '.repeat(indent) + l.text);
    }
    out.push('```', '');
    code = [];
  };
  let prev: Line | null = null;
  for (const line of lines) {
    if (line.mono) {
      code.push(line);
      prev = line;
      continue;
    }
    flushCode();
    const key = norm(line.text);
    // Bookmarks often drop the number the page prints ("Arrays" for "5.1 Arrays").
    const hint =
      pending.get(key) ??
      [...pending.values()].find((h) => {
        const t = norm(h.title);
        return t.length > 3 && key.endsWith(t) && key.length - t.length <= 8;
      });
    if (hint) {
      pending.delete(norm(hint.title));
      out.push('', `${'#'.repeat(hint.depth)} ${hint.title}`, '');
    } else if (line.size >= 1.2 * dominant && line.text.length <= 100) {
      out.push('', `#### ${line.text}`, '');
    } else {
      // A gap of more than about one and a half lines is a paragraph break.
      if (prev && !prev.mono && prev.y - line.y > 1.7 * line.size) out.push('');
      out.push(line.text);
    }
    prev = line;
  }
  flushCode();
  // Structure titles not found as lines on the page (their heading is an image, or split oddly).
  const missing = [...pending.values()].map((h) => `${'#'.repeat(h.depth)} ${h.title}`);
  if (missing.length > 0) out.splice(2, 0, ...missing, '');
  if (lines.length === 0) out.push('_(no extractable text on this page)_');
  return out.join('\n').replace(/\n{3,}/g, '\n\n') + '\n\n';
}

function dominantSize(lines: Line[]): number {
  const sizes = new Map<number, number>();
  for (const l of lines) sizes.set(Math.round(l.size), (sizes.get(Math.round(l.size)) ?? 0) + l.text.length);
  return [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 10;
}

/** Page numbers printed alone in a header or footer line are layout, not text. */
function dropPageNumbers(lines: Line[]): Line[] {
  const isNumber = (l: Line | undefined) => !!l && /^(\d{1,4}|[ivxlc]{1,6})$/i.test(l.text.trim());
  return lines.filter((l, i) => !((i === 0 || i === lines.length - 1) && isNumber(l)));
}
