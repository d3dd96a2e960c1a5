/**
 * `book summarize`: for each chunk of a split, what a coding agent starts from: its sections, the
 * listings, figures and tables it contains (counted and named from their captions), its key terms
 * against a background corpus, and the identifiers its code listings define and use. No model call.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BookError } from './errors.js';
import { keyTerms, type KeyTerm } from './keyterms.js';
import { labelRange } from './page-labels.js';
import { refineSummary, type RefineOptions } from './refine.js';
import { SPLITS_FORMAT, type Splits } from './split.js';
import { flatten } from './structure.js';
import type { BookStructure } from './types.js';

export interface Caption {
  number: string;
  title: string;
}

export interface ChunkSummary {
  chunk: number;
  title: string;
  file: string;
  markdown: string;
  pages: string;
  sections: string[];
  listings: { count: number; items: Caption[] };
  figures: { count: number; items: Caption[] };
  tables: { count: number; items: Caption[] };
  codeBlocks: number;
  keyTerms: KeyTerm[];
  identifiers: { name: string; count: number }[];
  summary: string;
  /** The model's brief, with `--llm URL` only. */
  refined?: string;
}

const CAPTION = /^(Listing|Figure|Fig\.|Table|Example)\s+([A-Z]?\d+(?:[.-]\d+)*)[.:]?\s+(.*)$/;

export function captions(markdown: string): Record<'listings' | 'figures' | 'tables', Caption[]> {
  const found = { listings: [] as Caption[], figures: [] as Caption[], tables: [] as Caption[] };
  const seen = new Set<string>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    if (inCode) continue;
    const m = CAPTION.exec(line.trim());
    // A caption starts its line and names a short title; "Figure 3 shows ..." in running text does not.
    if (!m || m[3]!.length > 120 || /^(shows|is|and|in|on)\b/.test(m[3]!)) continue;
    const kind =
      m[1] === 'Table' ? 'tables' : m[1] === 'Listing' || m[1] === 'Example' ? 'listings' : 'figures';
    const key = `${kind}:${m[2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found[kind].push({ number: m[2]!, title: m[3]!.trim() });
  }
  return found;
}

export function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

const KEYWORDS = new Set(
  'if else for while do return function def class const let var import from export new this self true false null none undefined in of and or not is as with try catch except finally raise throw yield async await lambda pass break continue print int float str bool list dict tuple set len range type void public private static return'.split(
    ' ',
  ),
);

/** Identifiers in code: names defined (def, class, function, assignment) first, then names called. */
export function identifiers(code: string[], limit = 25): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  const add = (name: string, weight: number) => {
    if (name.length < 2 || KEYWORDS.has(name) || /^\d/.test(name)) return;
    counts.set(name, (counts.get(name) ?? 0) + weight);
  };
  for (const block of code) {
    for (const m of block.matchAll(
      /\b(?:def|class|function|fn|func|struct|interface|type)\s+([A-Za-z_][\w]*)/g,
    ))
      add(m[1]!, 3);
    for (const m of block.matchAll(/\b([A-Za-z_][\w.]*)\s*(?:<-|=(?!=))/g)) add(m[1]!, 2);
    for (const m of block.matchAll(/\b([A-Za-z_][\w.]*)\s*\(/g)) add(m[1]!, 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([name, count]) => ({ name, count }));
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new BookError(
      `${path}: no ${what} (is this a directory written by "llm-crew book split"?)`,
      'bad-input',
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BookError(`${path}: not valid JSON`, 'bad-input');
  }
}

export async function summarizeDir(
  dir: string,
  options: { llm?: RefineOptions } = {},
): Promise<ChunkSummary[]> {
  const splits = (await readJson(join(dir, 'splits.json'), 'splits.json')) as Splits;
  if (splits?.format !== SPLITS_FORMAT)
    throw new BookError(`${join(dir, 'splits.json')}: not a ${SPLITS_FORMAT} file`, 'bad-input');
  const structure = (await readJson(join(dir, 'structure.json'), 'structure.json')) as BookStructure;
  const entries = flatten(structure.entries ?? []);
  const out: ChunkSummary[] = [];
  for (const c of splits.chunks) {
    const md = await readFile(join(dir, c.markdown), 'utf8').catch(() => {
      throw new BookError(`${join(dir, c.markdown)}: missing chunk text`, 'bad-input');
    });
    const code = codeBlocks(md);
    const prose = md.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '').replace(/<!--.*?-->/g, '');
    const caps = captions(md);
    const sections = entries
      .filter((e) => e.firstPage >= c.firstPage && e.firstPage <= c.lastPage && e.level > 0)
      .map((e) => e.title);
    const terms = keyTerms(prose);
    const ids = identifiers(code);
    const pages = labelRange(c.firstLabel, c.lastLabel);
    const parts = [
      `${c.title} (printed pages ${pages}, ${c.pageCount} PDF pages)`,
      sections.length > 0
        ? `${sections.length} sections: ${sections.slice(0, 8).join('; ')}${sections.length > 8 ? '; ...' : ''}`
        : null,
      `${caps.listings.length} listings, ${caps.figures.length} figures, ${caps.tables.length} tables, ${code.length} code blocks`,
      terms.length > 0
        ? `key terms: ${terms
            .slice(0, 10)
            .map((t) => t.term)
            .join(', ')}`
        : null,
      ids.length > 0
        ? `code identifiers: ${ids
            .slice(0, 10)
            .map((i) => i.name)
            .join(', ')}`
        : null,
    ];
    out.push({
      chunk: c.chunk,
      title: c.title,
      file: c.file,
      markdown: c.markdown,
      pages,
      sections,
      listings: { count: caps.listings.length, items: caps.listings },
      figures: { count: caps.figures.length, items: caps.figures },
      tables: { count: caps.tables.length, items: caps.tables },
      codeBlocks: code.length,
      keyTerms: terms,
      identifiers: ids,
      summary: parts.filter(Boolean).join('. ') + '.',
    });
    if (options.llm)
      out[out.length - 1]!.refined = await refineSummary(out[out.length - 1]!, md, options.llm);
  }
  return out;
}
