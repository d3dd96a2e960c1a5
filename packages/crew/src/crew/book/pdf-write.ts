/**
 * Writing chunk PDFs with @cantoo/pdf-lib. Copying pages drops the source's bookmarks and page labels
 * (both hang off the catalog, not the pages), so each chunk gets them rebuilt from the structure.
 */
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNull,
  PDFNumber,
  PDFRef,
} from '@cantoo/pdf-lib';
import { isRoman, romanToInt } from './page-labels.js';

export interface OutlineItem {
  title: string;
  /** 0-based page index in the chunk. */
  pageIndex: number;
  children: OutlineItem[];
}

/** Writes a bookmark tree (PDF 32000 §12.3.3) into the document's catalog. */
export function writeOutline(doc: PDFDocument, items: OutlineItem[]): void {
  if (items.length === 0) return;
  const ctx = doc.context;
  const pages = doc.getPages();
  const rootRef = ctx.nextRef();
  const build = (list: OutlineItem[], parent: PDFRef): { first: PDFRef; last: PDFRef; count: number } => {
    const refs = list.map(() => ctx.nextRef());
    let count = 0;
    list.forEach((item, i) => {
      const dict = PDFDict.withContext(ctx);
      dict.set(PDFName.of('Title'), PDFHexString.fromText(item.title));
      dict.set(PDFName.of('Parent'), parent);
      if (i > 0) dict.set(PDFName.of('Prev'), refs[i - 1]!);
      if (i < list.length - 1) dict.set(PDFName.of('Next'), refs[i + 1]!);
      const page = pages[Math.min(item.pageIndex, pages.length - 1)]!;
      const dest = PDFArray.withContext(ctx);
      dest.push(page.ref);
      dest.push(PDFName.of('XYZ'));
      dest.push(PDFNull);
      dest.push(PDFNull);
      dest.push(PDFNull);
      dict.set(PDFName.of('Dest'), dest);
      count++;
      if (item.children.length > 0) {
        const sub = build(item.children, refs[i]!);
        dict.set(PDFName.of('First'), sub.first);
        dict.set(PDFName.of('Last'), sub.last);
        // Positive: the item opens showing its children.
        dict.set(PDFName.of('Count'), PDFNumber.of(sub.count));
        count += sub.count;
      }
      ctx.assign(refs[i]!, dict);
    });
    return { first: refs[0]!, last: refs[refs.length - 1]!, count };
  };
  const top = build(items, rootRef);
  const root = PDFDict.withContext(ctx);
  root.set(PDFName.of('Type'), PDFName.of('Outlines'));
  root.set(PDFName.of('First'), top.first);
  root.set(PDFName.of('Last'), top.last);
  root.set(PDFName.of('Count'), PDFNumber.of(top.count));
  ctx.assign(rootRef, root);
  doc.catalog.set(PDFName.of('Outlines'), rootRef);
  doc.catalog.set(PDFName.of('PageMode'), PDFName.of('UseOutlines'));
}

/**
 * Writes page labels (PDF 32000 §12.4.2) so a chunk shows the book's printed numbers: runs of
 * consecutive arabic or roman numbers become one range, anything else a literal prefix.
 */
export function writePageLabels(doc: PDFDocument, labels: string[]): void {
  const ctx = doc.context;
  const nums = PDFArray.withContext(ctx);
  let prev: { style: string; value: number } | null = null;
  labels.forEach((label, i) => {
    const style = /^\d+$/.test(label)
      ? 'D'
      : isRoman(label)
        ? label === label.toLowerCase()
          ? 'r'
          : 'R'
        : 'P';
    const value = style === 'D' ? Number(label) : style === 'P' ? 0 : romanToInt(label);
    const continues = prev && style !== 'P' && prev.style === style && value === prev.value + 1;
    if (!continues) {
      const range = PDFDict.withContext(ctx);
      if (style === 'P') range.set(PDFName.of('P'), PDFHexString.fromText(label));
      else {
        range.set(PDFName.of('S'), PDFName.of(style));
        if (value !== 1) range.set(PDFName.of('St'), PDFNumber.of(value));
      }
      nums.push(PDFNumber.of(i));
      nums.push(range);
    }
    prev = { style, value };
  });
  const tree = PDFDict.withContext(ctx);
  tree.set(PDFName.of('Nums'), nums);
  doc.catalog.set(PDFName.of('PageLabels'), ctx.register(tree));
}
