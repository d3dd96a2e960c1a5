// Test books made with @cantoo/pdf-lib: front matter, chapters with sections, code listings and
// captions, back matter; with or without bookmarks (flat or nested under parts), page labels, a
// contents page with dot leaders, encryption. Each book comes with what a reader should find in it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFName, StandardFonts, type PDFFont, type PDFPage } from '@cantoo/pdf-lib';
import { writeOutline, writePageLabels, type OutlineItem } from '../../../src/crew/book/pdf-write.js';

export interface SpecChapter {
  title: string;
  pages: number;
  sections?: string[];
  /** Prints "Part N" title page before the chapter, opening a part. */
  part?: string;
}

export interface BookSpec {
  title?: string;
  author?: string;
  front?: { title: string; pages: number }[];
  chapters: SpecChapter[];
  appendices?: SpecChapter[];
  back?: { title: string; pages: number }[];
  outline: 'flat' | 'nested' | 'none' | 'empty';
  /** Roman front matter and arabic body in /PageLabels (the printed numbers are on the pages either way). */
  labels: boolean;
  toc: boolean;
  /** Chapter openings say "Chapter N" in large type (off: the headings are only in the contents/bookmarks). */
  headings?: boolean;
  /** Chapter titles set like body text: no visual cue at all. */
  plainTitles?: boolean;
  userPassword?: string;
}

export interface Expected {
  title: string;
  kind: string;
  firstPage: number;
  label: string;
  level: number;
}

export interface Made {
  path: string;
  bytes: Uint8Array;
  pageCount: number;
  labels: string[];
  expected: Expected[];
}

const roman = (n: number) => {
  const t: [number, string][] = [
    [10, 'x'],
    [9, 'ix'],
    [5, 'v'],
    [4, 'iv'],
    [1, 'i'],
  ];
  let s = '';
  for (const [v, r] of t)
    while (n >= v) {
      s += r;
      n -= v;
    }
  return s;
};

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  mono: PDFFont;
}

const H = 792;

function paragraph(page: PDFPage, f: Fonts, y: number, text: string): number {
  page.drawText(text, { x: 72, y, size: 10, font: f.regular });
  return y - 14;
}

export async function makeBook(
  spec: BookSpec,
  dir = mkdtempSync(join(tmpdir(), 'crew-book-')),
): Promise<Made> {
  const doc = await PDFDocument.create();
  const f: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const title = spec.title ?? 'Deep Learning with Widgets';
  doc.setTitle(title);
  doc.setAuthor(spec.author ?? 'Ada Example');
  const labels: string[] = [];
  const expected: Expected[] = [];
  const outline: OutlineItem[] = [];
  const front = spec.front ?? [{ title: 'Preface', pages: 2 }];
  const appendices = spec.appendices ?? [];
  const back = spec.back ?? [{ title: 'Index', pages: 2 }];
  let frontNo = 0;
  let bodyNo = 0;
  const addPage = (matter: 'front' | 'body'): PDFPage => {
    const page = doc.addPage([612, H]);
    const label = matter === 'front' ? roman(++frontNo) : String(++bodyNo);
    labels.push(label);
    page.drawText(label, { x: 300, y: 40, size: 9, font: f.regular });
    return page;
  };
  const bodyText = (page: PDFPage, y: number, n: number, seed: string) => {
    for (let i = 0; i < n && y > 80; i++)
      y = paragraph(
        page,
        f,
        y,
        `The ${seed} widget tensor gradient is computed by the widget kernel in line ${i}.`,
      );
    return y;
  };
  // Title page and copyright page.
  const tp = addPage('front');
  tp.drawText(title, { x: 72, y: 600, size: 28, font: f.bold });
  tp.drawText(spec.author ?? 'Ada Example', { x: 72, y: 560, size: 14, font: f.regular });
  addPage('front').drawText('Copyright 2026 Ada Example. All rights reserved.', {
    x: 72,
    y: 700,
    size: 9,
    font: f.regular,
  });
  // The contents page is filled in at the end, once the printed numbers are known.
  const tocPage = spec.toc ? addPage('front') : null;
  const tocLines: { text: string; printed: string; indent: number }[] = [];
  const place = (t: string, kind: string, level: number, page: number) => {
    expected.push({ title: t, kind, firstPage: page, label: labels[page - 1]!, level });
  };
  for (const fm of front) {
    const first = labels.length + 1;
    for (let i = 0; i < fm.pages; i++) {
      const p = addPage('front');
      if (i === 0) p.drawText(fm.title, { x: 72, y: 700, size: 22, font: f.bold });
      bodyText(p, 660, 20, 'preface');
    }
    place(fm.title, 'front', 0, first);
    outline.push({ title: fm.title, pageIndex: first - 1, children: [] });
    tocLines.push({ text: fm.title, printed: labels[first - 1]!, indent: 0 });
  }
  let partItem: OutlineItem | null = null;
  const chapter = (c: SpecChapter, n: string, kind: 'chapter' | 'appendix') => {
    if (c.part) {
      const pp = addPage('body');
      pp.drawText(c.part, { x: 72, y: 600, size: 26, font: f.bold });
      place(c.part, 'part', 0, labels.length);
      partItem = { title: c.part, pageIndex: labels.length - 1, children: [] };
      outline.push(partItem);
      tocLines.push({ text: c.part, printed: labels[labels.length - 1]!, indent: 0 });
    }
    const nested = spec.outline === 'nested' && partItem !== null && kind === 'chapter';
    const level = nested ? 1 : 0;
    const first = labels.length + 1;
    const fullTitle = kind === 'appendix' ? `Appendix ${n} ${c.title}` : `Chapter ${n} ${c.title}`;
    const item: OutlineItem = { title: fullTitle, pageIndex: first - 1, children: [] };
    (nested ? partItem!.children : outline).push(item);
    tocLines.push({ text: fullTitle, printed: String(bodyNo + 1), indent: 0 });
    const sections = c.sections ?? [];
    for (let i = 0; i < c.pages; i++) {
      const p = addPage('body');
      let y = 700;
      if (i === 0) {
        place(fullTitle, kind, level, first);
        if (spec.headings !== false) {
          p.drawText(kind === 'appendix' ? `Appendix ${n}` : `Chapter ${n}`, {
            x: 72,
            y,
            size: 16,
            font: f.bold,
          });
          y -= 30;
        }
        p.drawText(
          c.title,
          spec.plainTitles ? { x: 72, y, size: 10, font: f.regular } : { x: 72, y, size: 24, font: f.bold },
        );
        y -= 40;
      }
      // One section per page from the chapter's second page on, at the top of the page.
      const s = sections[i - 1];
      if (i >= 1 && s) {
        const st = `${n}.${i} ${s}`;
        p.drawText(st, { x: 72, y, size: 14, font: f.bold });
        y -= 24;
        place(st, 'section', level + 1, labels.length);
        item.children.push({ title: st, pageIndex: labels.length - 1, children: [] });
        tocLines.push({ text: st, printed: String(bodyNo), indent: 18 });
      }
      y = bodyText(p, y, 8, c.title.split(' ')[0]!.toLowerCase());
      if (i === 0) {
        p.drawText(`Listing ${n}.1 Defining the ${c.title.toLowerCase()} model`, {
          x: 72,
          y: y - 6,
          size: 9,
          font: f.bold,
        });
        y -= 24;
        const code = [
          `def build_${n}_model(config):`,
          '    layers = make_layers(config.depth)',
          '    return WidgetModel(layers)',
        ];
        for (const line of code) {
          p.drawText(line, { x: 72, y, size: 9, font: f.mono });
          y -= 12;
        }
        p.drawText(`Figure ${n}.1 The ${c.title.toLowerCase()} pipeline`, {
          x: 72,
          y: y - 10,
          size: 9,
          font: f.bold,
        });
        p.drawText(`Table ${n}.1 Widget sizes`, { x: 72, y: y - 30, size: 9, font: f.bold });
      }
    }
  };
  spec.chapters.forEach((c, i) => chapter(c, String(i + 1), 'chapter'));
  partItem = null;
  appendices.forEach((c, i) => chapter(c, String.fromCharCode(65 + i), 'appendix'));
  for (const bm of back) {
    const first = labels.length + 1;
    for (let i = 0; i < bm.pages; i++) {
      const p = addPage('body');
      if (i === 0) p.drawText(bm.title, { x: 72, y: 700, size: 22, font: f.bold });
      bodyText(p, 660, 10, 'index');
    }
    place(bm.title, 'back', 0, first);
    outline.push({ title: bm.title, pageIndex: first - 1, children: [] });
    tocLines.push({ text: bm.title, printed: labels[first - 1]!, indent: 0 });
  }
  if (tocPage) {
    tocPage.drawText('Contents', { x: 72, y: 720, size: 22, font: f.bold });
    let y = 690;
    for (const t of tocLines) {
      const x = 72 + t.indent;
      tocPage.drawText(t.text, { x, y, size: 10, font: f.regular });
      const w = f.regular.widthOfTextAtSize(t.text, 10);
      const dots = '.'.repeat(Math.max(3, Math.floor((460 - x - w) / f.regular.widthOfTextAtSize('. ', 10))));
      tocPage.drawText(dots.split('').join(' '), { x: x + w + 6, y, size: 10, font: f.regular });
      tocPage.drawText(t.printed, { x: 540, y, size: 10, font: f.regular });
      y -= 14;
    }
  }
  if (spec.outline === 'flat' || spec.outline === 'nested') writeOutline(doc, outline);
  if (spec.outline === 'empty') {
    const root = doc.context.obj({ Type: 'Outlines', Count: 0 });
    doc.catalog.set(PDFName.of('Outlines'), doc.context.register(root));
  }
  if (spec.labels) writePageLabels(doc, labels);
  if (spec.userPassword)
    // AES-128: pdf.js derives AES-256 keys with a pure-JS SHA-2 loop that costs seconds per open.
    doc.encrypt({
      userPassword: spec.userPassword,
      ownerPassword: `${spec.userPassword}-owner`,
      algorithm: 'AES-128',
    });
  const bytes = await doc.save();
  const path = join(dir, 'book.pdf');
  writeFileSync(path, bytes);
  return { path, bytes, pageCount: labels.length, labels, expected };
}

export const CHAPTERS: SpecChapter[] = [
  { title: 'Getting Started', pages: 3, sections: ['Installing widgets', 'A first model'] },
  { title: 'Tensors and Gradients', pages: 4, sections: ['Shapes', 'Broadcasting', 'Autograd'] },
  { title: 'Training Loops', pages: 3, sections: ['Optimizers', 'Checkpoints'] },
];
