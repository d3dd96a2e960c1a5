/**
 * The PDF's bookmarks (its outline), with every destination resolved to a page. A destination is an
 * explicit array [pageRef | pageIndex, /XYZ, left, top, zoom] or a name to look up first (PDF 32000
 * §12.3.2); pdf.js hands both through getOutline and resolves them with getDestination/getPageIndex.
 */
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface OutlineNode {
  title: string;
  /** 0-based page index, or null when the destination does not resolve (a URL, a broken name). */
  pageIndex: number | null;
  /** The destination's top edge in PDF units when it gives one (/XYZ, /FitH, /FitBH). */
  top: number | null;
  children: OutlineNode[];
}

type RawItem = { title: string; dest: string | unknown[] | null; items: RawItem[] };

export async function readOutline(doc: PDFDocumentProxy): Promise<OutlineNode[]> {
  let raw: RawItem[] | null;
  try {
    raw = (await doc.getOutline()) as RawItem[] | null;
  } catch {
    return [];
  }
  if (!raw) return [];
  const resolve = async (items: RawItem[]): Promise<OutlineNode[]> => {
    const out: OutlineNode[] = [];
    for (const item of items) {
      const { pageIndex, top } = await resolveDest(doc, item.dest);
      out.push({ title: cleanTitle(item.title), pageIndex, top, children: await resolve(item.items ?? []) });
    }
    return out;
  };
  return resolve(raw);
}

async function resolveDest(
  doc: PDFDocumentProxy,
  dest: string | unknown[] | null,
): Promise<{ pageIndex: number | null; top: number | null }> {
  try {
    const explicit = typeof dest === 'string' ? await doc.getDestination(dest) : dest;
    if (!Array.isArray(explicit) || explicit.length === 0) return { pageIndex: null, top: null };
    const target = explicit[0];
    let pageIndex: number | null = null;
    if (typeof target === 'number') pageIndex = target;
    else if (target && typeof target === 'object' && 'num' in target) {
      pageIndex = await doc.getPageIndex(target as { num: number; gen: number });
    }
    const mode = (explicit[1] as { name?: string } | undefined)?.name;
    const top =
      mode === 'XYZ' ? num(explicit[3]) : mode === 'FitH' || mode === 'FitBH' ? num(explicit[2]) : null;
    return { pageIndex, top };
  } catch {
    return { pageIndex: null, top: null };
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Bookmark titles often carry control characters, soft hyphens and runs of spaces from their producer. */
export function cleanTitle(title: string): string {
  return (
    title
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u00ad\ufeff]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}
