/**
 * A worker thread that reads page text for `scanPagesParallel`: it opens its own copy of the PDF and
 * answers "read block k" with the block's pages. pdf.js on Node runs its parser on the calling thread
 * (a "fake worker"), so threads of our own are the only way to use a second core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { readPage } from './pages.js';
import { pdfjsOptions } from './pdf.js';

const { bytes, password, path } = workerData as { bytes: Uint8Array; password?: string; path: string };
const doc = await getDocument({ ...pdfjsOptions(), data: bytes, password }).promise;
const port = parentPort!;
port.on('message', async (msg: { block: number; first: number; last: number } | 'close') => {
  if (msg === 'close') {
    await doc.destroy();
    port.close();
    return;
  }
  try {
    const pages = [];
    for (let p = msg.first; p <= msg.last; p++) pages.push(await readPage(doc, p, path));
    port.postMessage({ block: msg.block, pages });
  } catch (err) {
    port.postMessage({ block: msg.block, error: (err as Error).message });
  }
});
port.postMessage('ready');
