// The full corpora (npm run test:e2e): GPT-2 ids equal to tiktoken on all of the Brown corpus
// (6.2 MB) and the SpamAssassin emails (32.5 MB), every code point of every plane in context,
// prepare's chunked encoding equal to encoding whole, and BPE trained on Brown to 2,000 tokens.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { afterAll, describe, expect, it } from 'vitest';
import { brownText, spamAssassinText } from '../../bench/corpora.js';
import { BPETokenizer, gpt2Tokenizer, readVocab, saveVocab, trainBPE } from '../../src/llm/fundamentals.js';
import { prepareShard, ShardTokens } from '../../src/llm/text.js';

const reference = get_encoding('gpt2');
const dir = mkdtempSync(join(tmpdir(), 'e2e-tokenizer-'));
afterAll(() => {
  reference.free();
  rmSync(dir, { recursive: true, force: true });
});

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference at token ${i}`;
  return null;
}

describe('GPT-2 BPE on the full corpora', () => {
  const ours = gpt2Tokenizer();
  for (const [name, load] of [
    ['Brown', brownText],
    ['SpamAssassin', spamAssassinText],
  ] as const) {
    it(`${name}: ids equal to tiktoken, decode(encode(x)) = x`, () => {
      const text = load();
      const ids = ours.encode(text);
      expect(sameIds(ids, reference.encode(text))).toBeNull();
      expect(ours.decode(ids) === text).toBe(true);
    });
  }

  // One test per plane: a single 40-second test starves vitest's worker RPC ("Timeout calling onTaskUpdate").
  for (let plane = 0; plane < 17; plane++) {
    it(`every code point of plane ${plane}, in context`, () => {
      const failing: string[] = [];
      for (let block = plane * 16; block < (plane + 1) * 16; block++) {
        const parts: string[] = [];
        for (let c = block * 4096; c < (block + 1) * 4096; c++) {
          if (c >= 0xd800 && c <= 0xdfff) continue;
          const ch = String.fromCodePoint(c);
          parts.push(`x${ch}x 1${ch}1 !${ch}! ${ch}${ch}\n`);
        }
        const text = parts.join('');
        if (sameIds(ours.encodeOrdinary(text), reference.encode_ordinary(text))) {
          failing.push(`U+${(block * 4096).toString(16)}`);
        }
      }
      expect(failing).toEqual([]);
    });
  }

  it('prepare (chunked) writes the ids of each file encoded whole', () => {
    const file = join(dir, 'spam.txt');
    const text = spamAssassinText();
    writeFileSync(file, text);
    prepareShard([file], join(dir, 'spam.bin'), ours);
    const shard = new ShardTokens(join(dir, 'spam.bin'));
    const ids = ours.encodeOrdinary(text);
    expect(shard.length).toBe(ids.length + 1);
    expect(sameIds(shard.slice(0, ids.length), ids)).toBeNull();
    shard.close();
  });
});

describe('BPE trained on the Brown corpus to 2,000 tokens', () => {
  it('reproduces itself after save and load and compresses the corpus', () => {
    const text = brownText();
    const t0 = performance.now();
    const { vocab } = trainBPE([text], { vocabSize: 2000 });
    const seconds = (performance.now() - t0) / 1000;
    saveVocab(vocab, dir);
    const loaded = readVocab(dir);
    expect(loaded.merges).toEqual(vocab.merges);
    expect(loaded.tokens).toEqual(vocab.tokens);
    const ids = BPETokenizer.fromDirectory(dir).encode(text);
    expect(sameIds(ids, new BPETokenizer(vocab).encode(text))).toBeNull();
    const bytes = Buffer.byteLength(text);
    console.log(
      `Brown BPE 2000: trained in ${seconds.toFixed(1)} s; ${bytes} bytes -> ${ids.length} tokens ` +
        `(${(bytes / ids.length).toFixed(2)} bytes/token; GPT-2: ${(bytes / gpt2Tokenizer().encode(text).length).toFixed(2)})`,
    );
    expect(bytes / ids.length).toBeGreaterThan(2.8);
  });
});
