// The book's sliding-window dataset and loader (sections 2.6-2.7), and token shards on disk.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpt2Tokenizer } from '../../src/llm/fundamentals.js';
import {
  createDataloaderV1,
  DataLoader,
  encodeShardHeader,
  GPTDatasetV1,
  prepareShard,
  ShardTokens,
  textChunks,
} from '../../src/llm/text.js';

const verdictFile = new URL('../../data/the-verdict.txt', import.meta.url).pathname;
const raw = readFileSync(verdictFile, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GPTDatasetV1 and DataLoader', () => {
  const tokenizer = gpt2Tokenizer();

  it('the verdict has 5,145 tokens', () => expect(tokenizer.encode(raw).length).toBe(5145));

  it("yields the book's first batches (maxLength 4, stride 1)", () => {
    const loader = createDataloaderV1(raw, tokenizer, {
      batchSize: 1,
      maxLength: 4,
      stride: 1,
      shuffle: false,
    });
    const [first, second] = loader;
    expect(first.shape).toEqual([1, 4]);
    expect(Array.from(first.inputs)).toEqual([40, 367, 2885, 1464]);
    expect(Array.from(first.targets)).toEqual([367, 2885, 1464, 1807]);
    expect(Array.from(second.inputs)).toEqual([367, 2885, 1464, 1807]);
    expect(Array.from(second.targets)).toEqual([2885, 1464, 1807, 3619]);
  });

  it('counts windows as the book (range(0, len - maxLength, stride)) and drops the last short batch', () => {
    const dataset = GPTDatasetV1.fromText(raw, tokenizer, { maxLength: 4, stride: 4 });
    expect(dataset.length).toBe(Math.ceil((5145 - 4) / 4));
    const loader = new DataLoader(dataset, { batchSize: 8 });
    const batches = [...loader];
    expect(batches.length).toBe(Math.floor(1286 / 8));
    expect(batches[0].shape).toEqual([8, 4]);
    expect(Array.from(batches[0].inputs.subarray(4, 8))).toEqual([1807, 3619, 402, 271]);
    const kept = [...new DataLoader(dataset, { batchSize: 8, dropLast: false })];
    expect(kept.at(-1)!.shape).toEqual([1286 % 8, 4]);
  });

  it('shuffles with a seed: same seed same order, each epoch a new order, every window once', () => {
    const dataset = new GPTDatasetV1(
      Array.from({ length: 101 }, (_, i) => i),
      { maxLength: 1, stride: 1 },
    );
    const firsts = (loader: DataLoader) => [...loader].map((b) => b.inputs[0]);
    const a = new DataLoader(dataset, { batchSize: 1, shuffle: true, seed: 7 });
    const b = new DataLoader(dataset, { batchSize: 1, shuffle: true, seed: 7 });
    const epoch1 = firsts(a);
    expect(firsts(b)).toEqual(epoch1);
    expect(firsts(a)).not.toEqual(epoch1);
    expect([...epoch1].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects bad sizes', () => {
    expect(() => new GPTDatasetV1([1, 2], { maxLength: 0, stride: 1 })).toThrow(
      /maxLength must be a positive integer/,
    );
    expect(() => new GPTDatasetV1([1, 2], { maxLength: 1, stride: 0 })).toThrow(
      /stride must be a positive integer/,
    );
  });
});

describe('token shards', () => {
  const tokenizer = gpt2Tokenizer();

  it('prepare writes the ids and <|endoftext|> per file; the dataset reads them from disk', () => {
    const out = join(dir, 'verdict.bin');
    const report = prepareShard([verdictFile, verdictFile], out, tokenizer);
    expect(report.tokens).toBe(2 * 5146);
    const shard = new ShardTokens(out);
    expect(shard.header).toEqual({ tokens: 2 * 5146, vocabSize: 50257, tokenizer: 'gpt2' });
    expect(Array.from(shard.slice(5144, 5147))).toEqual([tokenizer.encode(raw).at(-1), 50256, 40]);
    const fromDisk = new GPTDatasetV1(shard, { maxLength: 4, stride: 1 });
    expect(Array.from(fromDisk.get(0).input)).toEqual([40, 367, 2885, 1464]);
    expect(Array.from(fromDisk.get(0).target)).toEqual([367, 2885, 1464, 1807]);
    shard.close();
  });

  it('chunked reading gives the ids of the whole file', () => {
    const text = raw + '\n\n  x\ty\n \n\tz\n' + raw.replace(/\n/g, ' \n ');
    const file = join(dir, 'chunks.txt');
    writeFileSync(file, text);
    const chunks = [...textChunks(file, 1000)];
    expect(chunks.length).toBeGreaterThan(20);
    expect(chunks.join('')).toBe(text);
    expect(chunks.flatMap((c) => tokenizer.encodeOrdinary(c))).toEqual(tokenizer.encodeOrdinary(text));
  });

  it('validates the header strictly, with a hint', () => {
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, new Uint8Array(2000));
    expect(() => new ShardTokens(bad)).toThrow(
      /not a token shard \(magic 0, expected 20240520\): make one with 'llm-scratch prepare/,
    );
    const header = encodeShardHeader({ tokens: 10, vocabSize: 50257, tokenizer: 'gpt2' });
    writeFileSync(bad, header);
    expect(() => new ShardTokens(bad)).toThrow(
      /the header says 10 tokens \(1044 bytes\) but the file has 1024 bytes/,
    );
    const future = header.slice();
    future[4] = 9;
    writeFileSync(bad, future);
    expect(() => new ShardTokens(bad)).toThrow(/version 9, this build reads version 1/);
    writeFileSync(bad, new Uint8Array(10));
    expect(() => new ShardTokens(bad)).toThrow(/too short for a token shard header/);
    expect(() => new ShardTokens(join(dir, 'missing.bin'))).toThrow(
      /cannot read .*missing.bin: no such file/,
    );
  });

  it('leaves no partial output when an input is missing', () => {
    const out = join(dir, 'none.bin');
    expect(() => prepareShard([verdictFile, join(dir, 'nope.txt')], out, tokenizer)).toThrow(
      /cannot read .*nope.txt: no such file/,
    );
    expect(() => readFileSync(out)).toThrow();
    expect(() => readFileSync(`${out}.tmp-${process.pid}`)).toThrow();
  });
});
