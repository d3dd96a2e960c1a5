// The book's chapter 2, sections 2.6-2.7: token ids -> training batches. A sliding-window dataset
// (input windows of maxLength tokens every `stride` tokens, targets shifted by one) and a loader
// (batchSize, seeded shuffle, dropLast), over ids in memory or in a token shard on disk.
//
// A token shard ('llm-scratch prepare') is llm.c's layout: a 1024-byte header of int32s, then the ids
// as uint16 little-endian. Header: [0] magic 20240520, [1] version 1, [2] token count, [3] vocabulary
// size, [4] byte length of the tokenizer name, whose UTF-8 bytes start at byte 64. Shards are read by
// positioned reads, one window at a time, so a corpus larger than memory trains the same way.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';
import { Rng } from '../tensor/random.js';
import type { BPETokenizer } from './tokenizer/bpe.js';
import type { Tokenizer } from './tokenizer/tokenizer.js';
import { bmpClasses, SPACE } from './tokenizer/pretokenize.js';

// A batch of B windows of T tokens, row-major (B, T); targets are the inputs shifted by one.
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  shape: [number, number];
}

// Random access to a sequence of token ids.
export interface TokenSource {
  readonly length: number;
  // ids[start, end) as int32 (end <= length).
  slice(start: number, end: number): Int32Array;
}

export class ArrayTokens implements TokenSource {
  private readonly ids: Int32Array;
  constructor(ids: ArrayLike<number>) {
    this.ids = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  }
  get length(): number {
    return this.ids.length;
  }
  slice(start: number, end: number): Int32Array {
    return this.ids.slice(start, end);
  }
}

export interface WindowOptions {
  // Tokens per input window (the context length).
  maxLength: number;
  // Tokens between the starts of consecutive windows; stride = maxLength makes them disjoint.
  stride: number;
}

// GPTDatasetV1: window i is ids[i*stride, i*stride + maxLength), its target one token later. As in
// the book, windows start at 0, stride, ... while start < length - maxLength.
export class GPTDatasetV1 {
  readonly source: TokenSource;
  readonly maxLength: number;
  readonly stride: number;
  readonly length: number;

  constructor(ids: ArrayLike<number> | TokenSource, { maxLength, stride }: WindowOptions) {
    if (!Number.isInteger(maxLength) || maxLength < 1)
      throw new UserError(`maxLength must be a positive integer, got ${maxLength}`);
    if (!Number.isInteger(stride) || stride < 1)
      throw new UserError(`stride must be a positive integer, got ${stride}`);
    this.source = isTokenSource(ids) ? ids : new ArrayTokens(ids);
    this.maxLength = maxLength;
    this.stride = stride;
    this.length = Math.max(0, Math.ceil((this.source.length - maxLength) / stride));
  }

  // The book's dataset over a text: the text's ids with <|endoftext|> allowed.
  static fromText(text: string, tokenizer: BPETokenizer, options: WindowOptions): GPTDatasetV1 {
    return new GPTDatasetV1(tokenizer.encode(text, { allowedSpecial: ['<|endoftext|>'] }), options);
  }

  // Window i as (input, target), each maxLength tokens.
  get(i: number): { input: Int32Array; target: Int32Array } {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`window ${i} out of range 0..${this.length - 1}`);
    const start = i * this.stride;
    const ids = this.source.slice(start, start + this.maxLength + 1);
    return { input: ids.subarray(0, this.maxLength), target: ids.subarray(1) };
  }
}

export interface LoaderOptions {
  batchSize: number;
  // Visit the windows in a new seeded order every epoch (every iteration of the loader).
  shuffle?: boolean;
  // Leave out a last batch smaller than batchSize (the book drops it to keep loss spikes away).
  dropLast?: boolean;
  seed?: number;
}

// Yields batches of windows; iterate it again for the next epoch.
export class DataLoader implements Iterable<Batch> {
  readonly dataset: GPTDatasetV1;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly rng: Rng;

  constructor(
    dataset: GPTDatasetV1,
    { batchSize, shuffle = false, dropLast = true, seed = 123 }: LoaderOptions,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new UserError(`batchSize must be a positive integer, got ${batchSize}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.rng = new Rng(seed);
  }

  // Batches per epoch.
  get length(): number {
    const n = this.dataset.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const n = this.dataset.length;
    const order = this.shuffle ? this.rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const T = this.dataset.maxLength;
    for (let b = 0; b < this.length; b++) {
      const rows = Math.min(this.batchSize, n - b * this.batchSize);
      const inputs = new Int32Array(rows * T); // (B, T)
      const targets = new Int32Array(rows * T); // (B, T)
      for (let r = 0; r < rows; r++) {
        const { input, target } = this.dataset.get(order[b * this.batchSize + r]);
        inputs.set(input, r * T);
        targets.set(target, r * T);
      }
      yield { inputs, targets, shape: [rows, T] };
    }
  }
}

// The book's create_dataloader_v1, with its defaults.
export function createDataloaderV1(
  text: string,
  tokenizer: BPETokenizer,
  { batchSize = 4, maxLength = 256, stride = 128, shuffle = true, dropLast = true, seed = 123 } = {},
): DataLoader {
  const dataset = GPTDatasetV1.fromText(text, tokenizer, { maxLength, stride });
  return new DataLoader(dataset, { batchSize, shuffle, dropLast, seed });
}

function isTokenSource(x: ArrayLike<number> | TokenSource): x is TokenSource {
  return typeof (x as TokenSource).slice === 'function' && !ArrayBuffer.isView(x) && !Array.isArray(x);
}

// ---- token shards ----

export const SHARD_MAGIC = 20240520;
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 1024;
const NAME_OFFSET = 64;
export const MAX_NAME_BYTES = SHARD_HEADER_BYTES - NAME_OFFSET;

export interface ShardHeader {
  tokens: number;
  vocabSize: number;
  tokenizer: string;
}

export function encodeShardHeader({ tokens, vocabSize, tokenizer }: ShardHeader): Uint8Array {
  const name = new TextEncoder().encode(tokenizer);
  if (name.length > MAX_NAME_BYTES) throw new UserError(`tokenizer name longer than ${MAX_NAME_BYTES} bytes`);
  const bytes = new Uint8Array(SHARD_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  [SHARD_MAGIC, SHARD_VERSION, tokens, vocabSize, name.length].forEach((v, i) =>
    view.setUint32(4 * i, v, true),
  );
  bytes.set(name, NAME_OFFSET);
  return bytes;
}

// Parses and checks a shard header against the file's size; errors say what to do.
export function decodeShardHeader(bytes: Uint8Array, fileSize: number, file: string): ShardHeader {
  const hint = `make one with 'llm-scratch prepare --input TEXT... --out ${file}'`;
  if (bytes.length < SHARD_HEADER_BYTES) {
    throw new UserError(
      `${file}: ${fileSize} bytes, too short for a token shard header (${SHARD_HEADER_BYTES}): ${hint}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, SHARD_HEADER_BYTES);
  const [magic, version, tokens, vocabSize, nameLength] = [0, 1, 2, 3, 4].map((i) =>
    view.getUint32(4 * i, true),
  );
  if (magic !== SHARD_MAGIC)
    throw new UserError(`${file}: not a token shard (magic ${magic}, expected ${SHARD_MAGIC}): ${hint}`);
  if (version !== SHARD_VERSION) {
    throw new UserError(
      `${file}: token shard version ${version}, this build reads version ${SHARD_VERSION}: re-run prepare`,
    );
  }
  if (nameLength > MAX_NAME_BYTES)
    throw new UserError(`${file}: corrupt header (tokenizer name of ${nameLength} bytes)`);
  const expected = SHARD_HEADER_BYTES + 2 * tokens;
  if (fileSize !== expected) {
    throw new UserError(
      `${file}: the header says ${tokens} tokens (${expected} bytes) but the file has ${fileSize} bytes: ${hint}`,
    );
  }
  const tokenizer = new TextDecoder().decode(bytes.subarray(NAME_OFFSET, NAME_OFFSET + nameLength));
  return { tokens, vocabSize, tokenizer };
}

// A shard on disk as a TokenSource, read by positioned reads (no whole-file load). Call close().
export class ShardTokens implements TokenSource {
  readonly header: ShardHeader;
  private fd: number;

  constructor(readonly file: string) {
    try {
      this.fd = openSync(file, 'r');
    } catch (err) {
      throw new UserError(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    const size = fstatSync(this.fd).size;
    const head = new Uint8Array(Math.min(size, SHARD_HEADER_BYTES));
    readSync(this.fd, head, 0, head.length, 0);
    try {
      this.header = decodeShardHeader(head, size, file);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  get length(): number {
    return this.header.tokens;
  }

  slice(start: number, end: number): Int32Array {
    const n = end - start;
    const bytes = new Uint8Array(2 * n);
    readSync(this.fd, bytes, 0, bytes.length, SHARD_HEADER_BYTES + 2 * start);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

// The text of a file in pieces of about chunkBytes, each cut just before a newline that ends a run of
// white space followed by a character that is not white space. The pre-tokenizer gives such a newline
// a piece of its own, and what precedes it ends a piece whether or not the text goes on ('\s+(?!\S)'
// leaves the run's last character to the next piece), so encoding the chunks one by one gives exactly
// the ids of the whole file.
export function* textChunks(file: string, chunkBytes = 1 << 23): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new UserError(`cannot read ${file}: is a directory`);
    const classes = bmpClasses();
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const buffer = new Uint8Array(chunkBytes);
    let carry = '';
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      const text = carry + decoder.decode(buffer.subarray(0, n), { stream: n > 0 });
      if (n === 0) {
        if (text) yield text;
        return;
      }
      let cut = text.length - 1;
      while (cut > 0) {
        cut = text.lastIndexOf('\n', cut - 1);
        if (cut < 0) break;
        if (cut + 1 < text.length && classes[text.charCodeAt(cut + 1)] !== SPACE) break;
      }
      if (cut <= 0) {
        carry = text; // no safe cut yet: read on
      } else {
        yield text.slice(0, cut);
        carry = text.slice(cut);
      }
    }
  } finally {
    closeSync(fd);
  }
}

export interface PrepareReport extends ShardHeader {
  files: number;
  bytes: number;
}

// Tokenizes text files into one shard: each file encoded as ordinary text (special-token text gets no
// special meaning) and followed by <|endoftext|> when the tokenizer has it, as nanoGPT and llm.c do.
// The shard is written to a temporary file and renamed, so a failure leaves no partial output.
export function prepareShard(inputs: string[], out: string, tokenizer: Tokenizer): PrepareReport {
  if (tokenizer.vocabSize > 65536)
    throw new UserError(`${tokenizer.name}: ${tokenizer.vocabSize} tokens do not fit uint16 ids`);
  const eot = tokenizer.specialTokens.get('<|endoftext|>');
  const temp = `${out}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (err) {
    throw new UserError(`cannot write ${out}: ${(err as Error).message}`);
  }
  let tokens = 0;
  let bytes = 0;
  let open = true;
  try {
    writeSync(fd, new Uint8Array(SHARD_HEADER_BYTES));
    const write = (ids: number[]) => {
      const u16 = Uint16Array.from(ids);
      writeSync(fd, new Uint8Array(u16.buffer)); // little-endian on every platform Node supports
      tokens += ids.length;
      if (tokens > 0xffffffff)
        throw new UserError(`more than 2^32 tokens: split the input into several shards`);
    };
    for (const file of inputs) {
      for (const chunk of textChunks(file)) {
        bytes += Buffer.byteLength(chunk);
        write(tokenizer.encodeOrdinary(chunk));
      }
      if (eot !== undefined) write([eot]);
    }
    writeSync(
      fd,
      encodeShardHeader({ tokens, vocabSize: tokenizer.vocabSize, tokenizer: tokenizer.name }),
      0,
      SHARD_HEADER_BYTES,
      0,
    );
    closeSync(fd);
    open = false;
    renameSync(temp, out);
  } catch (err) {
    if (open) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  return { tokens, vocabSize: tokenizer.vocabSize, tokenizer: tokenizer.name, files: inputs.length, bytes };
}
