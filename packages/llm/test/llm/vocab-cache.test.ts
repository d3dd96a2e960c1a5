// The precompiled GPT-2 vocabulary: the same vocabulary and merge pairs as the source files, the
// same ids, and ignored (never trusted, never a crash) when stale or damaged.
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../src/paths.js';
import { BPETokenizer, mergeablePairs } from '../../src/llm/tokenizer/bpe.js';
import {
  decodeVocabCache,
  readVocabCache,
  vocabSourceHash,
  writeVocabCache,
} from '../../src/llm/tokenizer/vocab-cache.js';
import { readVocab } from '../../src/llm/tokenizer/vocab-files.js';

const dir = mkdtempSync(join(tmpdir(), 'vocab-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const gpt2 = dataPath('gpt2');
const file = join(dir, 'gpt2-vocab.bin');
const vocab = readVocab(gpt2);
const pairs = mergeablePairs(vocab);
writeVocabCache(file, gpt2, { vocab, pairs });
const bytes = readFileSync(file);
const hash = vocabSourceHash(gpt2);

describe('the precompiled vocabulary', () => {
  it('holds the vocabulary and the merge pairs of the source files', () => {
    const compiled = readVocabCache(file, gpt2)!;
    expect(compiled).not.toBeNull();
    expect(compiled.vocab.tokens.map((t) => Buffer.from(t).toString('hex'))).toEqual(
      vocab.tokens.map((t) => Buffer.from(t).toString('hex')),
    );
    expect(Array.from(compiled.vocab.rankToId)).toEqual(Array.from(vocab.rankToId));
    expect(compiled.vocab.merges).toEqual(vocab.merges);
    expect([...compiled.vocab.specials]).toEqual([...vocab.specials]);
    expect(Array.from(compiled.pairs)).toEqual(Array.from(pairs));
  });

  it('gives the same ids as the tokenizer read from the source files', () => {
    const compiled = readVocabCache(file, gpt2)!;
    const cached = new BPETokenizer(compiled.vocab, 'gpt2', compiled.pairs);
    const fromFiles = new BPETokenizer(vocab, 'gpt2');
    const text = readFileSync(dataPath('the-verdict.txt'), 'utf8') + ' naïve café 日本語 🙂 <|endoftext|>';
    expect(cached.encode(text, { allowedSpecial: 'all' })).toEqual(
      fromFiles.encode(text, { allowedSpecial: 'all' }),
    );
  });

  it('is ignored when made from other files, of another version, or missing', () => {
    const other = Buffer.from(hash);
    other[0] ^= 1;
    expect(decodeVocabCache(bytes, other)).toBeNull();
    const version = Buffer.from(bytes);
    version.writeUInt32LE(99, 8);
    expect(decodeVocabCache(version, hash)).toBeNull();
    expect(readVocabCache(join(dir, 'missing.bin'), gpt2)).toBeNull();
  });

  it('never throws on a damaged file: cut or with bytes changed, it is ignored or still well-formed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        (length, changes) => {
          const damaged = Buffer.from(bytes.subarray(0, length));
          // Changes land in the header and the first sections, where the counts and offsets live.
          for (const [at, value] of changes) if (at < damaged.length) damaged[at] = value;
          const compiled = decodeVocabCache(damaged, hash);
          if (compiled === null) return;
          const n = compiled.vocab.tokens.length;
          expect(Array.from(compiled.vocab.rankToId).every((id) => id >= 0 && id < n)).toBe(true);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
