// The book tools: analyze a PDF's structure, split it into chunks, summarize the chunks.
export { analyzeBook, Analysis } from './analyze.js';
export { splitBook, SPLITS_FORMAT, SPLITS_VERSION, type Splits, type Chunk } from './split.js';
export { summarizeDir, type ChunkSummary } from './summarize.js';
export { BookError } from './errors.js';
export { flatten } from './structure.js';
export * from './types.js';
