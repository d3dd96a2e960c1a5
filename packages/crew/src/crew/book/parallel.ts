/**
 * Reading page text on several threads. pdf.js parses on the thread that calls it, so the pass over
 * a long book is bound to one core; here worker threads read blocks of pages ahead, at most AHEAD
 * blocks each, and the caller still visits the pages one at a time and in order (memory stays
 * bounded: a few blocks of text, never the book).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BookError } from './errors.js';
import { scanPages, type PageText } from './pages.js';
import type { OpenedPdf } from './pdf.js';

const BLOCK = 16;
const AHEAD = 2;

/** Threads to use: LLM_CREW_BOOK_THREADS, else the cores (up to 4); none for short books or when workers can't load. */
export function threadCount(pages: number): number {
  const env = process.env.LLM_CREW_BOOK_THREADS;
  if (env !== undefined && env !== '') return Math.max(0, Math.floor(Number(env)) || 0);
  if (pages < 6 * BLOCK) return 0;
  // From TypeScript sources a worker can only load page-worker.ts through tsx's loader (not under vitest).
  if (import.meta.url.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx'))) return 0;
  return Math.min(4, availableParallelism());
}

type Reply = { block: number; pages?: PageText[]; error?: string } | 'ready';

export async function scanPagesParallel(
  pdf: OpenedPdf,
  visit: (page: PageText) => void | Promise<void>,
  range: { first?: number; last?: number } = {},
): Promise<void> {
  const first = range.first ?? 1;
  const last = range.last ?? pdf.doc.numPages;
  const threads = threadCount(last - first + 1);
  if (threads < 2) return scanPages(pdf.doc, pdf.path, visit, range);

  const blocks: { first: number; last: number }[] = [];
  for (let p = first; p <= last; p += BLOCK) blocks.push({ first: p, last: Math.min(last, p + BLOCK - 1) });
  const url = new URL(
    import.meta.url.endsWith('.ts') ? './page-worker.ts' : './page-worker.js',
    import.meta.url,
  );
  const workers = Array.from(
    { length: threads },
    () => new Worker(url, { workerData: { bytes: pdf.bytes, password: pdf.password, path: pdf.path } }),
  );
  const done = new Map<number, PageText[] | Error>();
  const owner = new Map<number, Worker>();
  let waiting: { block: number; resolve: () => void } | null = null;
  let failure: Error | null = null;
  let next = 0;
  const assign = (w: Worker) => {
    if (next >= blocks.length) return;
    owner.set(next, w);
    w.postMessage({ block: next, ...blocks[next]! });
    next++;
  };
  const wake = () => {
    if (waiting && (done.has(waiting.block) || failure)) {
      const w = waiting;
      waiting = null;
      w.resolve();
    }
  };
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((ready, fail) => {
            w.on('message', (msg: Reply) => {
              if (msg === 'ready') {
                for (let k = 0; k < AHEAD; k++) assign(w);
                ready();
                return;
              }
              done.set(msg.block, msg.error ? new BookError(msg.error, 'corrupt') : msg.pages!);
              wake();
            });
            w.on('error', (err) => {
              failure = err;
              fail(err);
              wake();
            });
          }),
      ),
    );
  } catch {
    // Workers that cannot start (no loader for the sources, a sandbox without threads): read here.
    await Promise.all(workers.map((w) => w.terminate()));
    return scanPages(pdf.doc, pdf.path, visit, range);
  }
  try {
    for (let b = 0; b < blocks.length; b++) {
      if (!done.has(b) && !failure) await new Promise<void>((resolve) => (waiting = { block: b, resolve }));
      if (failure) throw failure;
      const result = done.get(b)!;
      done.delete(b);
      if (result instanceof Error) throw result;
      assign(owner.get(b)!);
      for (const page of result) await visit(page);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
