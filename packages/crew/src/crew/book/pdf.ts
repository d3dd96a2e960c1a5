/**
 * Opening a PDF for reading with pdf.js (legacy build, the one that runs on Node 20), validated as
 * strictly as a reader should be: pdf.js repairs a lot silently, so a missing header or end marker is
 * checked here first and every failure becomes one BookError line naming the file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { getDocument, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { BookError } from './errors.js';

export type { PDFDocumentProxy };

export interface OpenedPdf {
  path: string;
  /** The file's bytes, kept for writers (pdf.js gets its own copy, which it may detach). */
  bytes: Uint8Array;
  doc: PDFDocumentProxy;
  password?: string;
}

const require = createRequire(import.meta.url);
// Text of the standard 14 fonts (what simple generators such as pdf-lib use) needs pdf.js's bundled
// font data; without it pdf.js logs a warning per font.
const STANDARD_FONTS = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';

/** Checks that the bytes look like a whole PDF: a `%PDF-` header near the start, `%%EOF` near the end. */
export function checkPdfBytes(bytes: Uint8Array, name: string): void {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (!head.includes('%PDF-')) throw new BookError(`${name}: not a PDF file (no %PDF- header)`, 'not-pdf');
  // Writers append %%EOF last; incremental updates and some tools add a little after it, never kilobytes.
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 2048))).toString('latin1');
  if (!tail.includes('%%EOF')) {
    throw new BookError(
      `${name}: truncated or corrupt PDF (no %%EOF marker at the end of the file)`,
      'corrupt',
    );
  }
}

export async function readPdfFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    throw new BookError(`${path}: cannot read (${why})`, 'io');
  }
}

let strayGuard = false;

/**
 * pdf.js leaves some promises of its own without a handler while it parses a corrupt file (found by
 * fuzzing: a forged xref entry rejects one with XRefEntryException after getDocument has already
 * resolved). In a browser that is a console line; in Node it ends the process with a stack trace.
 * Those rejections carry nothing we need (the reads we await fail or recover on their own), so
 * the ones that come from pdf.js are dropped; any other unhandled rejection still ends the process
 * as Node would.
 */
function ignoreStrayPdfjsRejections(): void {
  if (strayGuard) return;
  strayGuard = true;
  process.on('unhandledRejection', (reason) => {
    if (reason instanceof Error && reason.stack?.includes('pdfjs-dist')) return;
    throw reason;
  });
}

/** The options of every document pdf.js opens here (the main thread's and the page workers'). */
export function pdfjsOptions() {
  ignoreStrayPdfjsRejections();
  return { verbosity: 0, isEvalSupported: false, disableFontFace: true, standardFontDataUrl: STANDARD_FONTS };
}

/** Opens a PDF; `password` opens an encrypted one (user or owner password). */
export async function openPdf(path: string, options: { password?: string } = {}): Promise<OpenedPdf> {
  const bytes = await readPdfFile(path);
  const name = basename(path);
  checkPdfBytes(bytes, path);
  try {
    const doc = await getDocument({ ...pdfjsOptions(), data: bytes.slice(), password: options.password })
      .promise;
    return { path, bytes, doc, password: options.password };
  } catch (err) {
    throw toBookError(err, path, name, options.password !== undefined);
  }
}

/** Maps pdf.js exceptions (matched by name: they cross a worker boundary as plain objects) to one line. */
export function toBookError(err: unknown, path: string, _name: string, hadPassword: boolean): BookError {
  if (err instanceof BookError) return err;
  const e = err as { name?: string; message?: string; code?: number };
  if (e?.name === 'PasswordException') {
    return hadPassword
      ? new BookError(`${path}: the PDF is encrypted and the password given is incorrect`, 'bad-password')
      : new BookError(`${path}: the PDF is encrypted; give its password with --password`, 'encrypted');
  }
  if (e?.name === 'InvalidPDFException' || e?.name === 'FormatError' || e?.name === 'UnknownErrorException') {
    return new BookError(`${path}: truncated or corrupt PDF (${firstLine(e.message)})`, 'corrupt');
  }
  return new BookError(`${path}: cannot read PDF (${firstLine(e?.message ?? String(err))})`, 'corrupt');
}

function firstLine(s: string | undefined): string {
  return (s ?? 'unknown error').split('\n')[0]!.trim();
}
