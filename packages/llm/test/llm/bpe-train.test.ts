// BPE training from scratch: determinism, save/load round trip, compression. The full Brown corpus
// to 2,000 tokens runs in test/e2e; here a 1 MB sample keeps the suite fast.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brownText, sample } from '../../bench/corpora.js';
import { BPETokenizer, gpt2Tokenizer, readVocab, saveVocab, trainBPE } from '../../src/llm/fundamentals.js';

const dir = mkdtempSync(join(tmpdir(), 'bpe-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const verdict = readFileSync(new URL('../../data/the-verdict.txt', import.meta.url), 'utf8');

describe('trainBPE', () => {
  const text = sample(brownText(), 1_000_000);
  const { vocab } = trainBPE([text], { vocabSize: 1000 });

  it('reaches the vocabulary size: 256 bytes, merges, <|endoftext|> last', () => {
    expect(vocab.tokens.length).toBe(1000);
    expect(vocab.merges.length).toBe(1000 - 256 - 1);
    expect(vocab.specials.get('<|endoftext|>')).toBe(999);
  });

  it("lays the bytes out as GPT-2's vocabulary does", () => {
    expect(Array.from(vocab.rankToId.subarray(0, 256))).toEqual(
      Array.from(gpt2Tokenizer().vocab.rankToId.subarray(0, 256)),
    );
  });

  it('is deterministic', () => {
    expect(trainBPE([text], { vocabSize: 400 }).vocab.merges).toEqual(vocab.merges.slice(0, 400 - 257));
  });

  it('reproduces itself after save and load, and compresses the text', () => {
    saveVocab(vocab, dir);
    const loaded = readVocab(dir);
    expect(loaded.merges).toEqual(vocab.merges);
    expect(loaded.tokens).toEqual(vocab.tokens);
    expect(loaded.specials).toEqual(vocab.specials);
    const trained = new BPETokenizer(vocab);
    const reloaded = BPETokenizer.fromDirectory(dir);
    const ids = reloaded.encode(text);
    expect(ids).toEqual(trained.encode(text));
    expect(reloaded.decode(ids)).toBe(text);
    expect(Buffer.byteLength(text) / ids.length).toBeGreaterThan(2.5);
    expect(reloaded.decode(reloaded.encode(verdict))).toBe(verdict);
  });

  it('keeps special tokens out of the merges and encodes them when allowed', () => {
    const small = trainBPE(['<|endoftext|>'.repeat(50) + ' the the the'], { vocabSize: 300 });
    const tokenizer = new BPETokenizer(small.vocab);
    expect(tokenizer.encode('the<|endoftext|>', { allowedSpecial: 'all' }).at(-1)).toBe(
      small.vocab.specials.get('<|endoftext|>'),
    );
    expect(small.vocab.tokens.length).toBeLessThan(300); // stops when no pair occurs twice
  });

  it('rejects a vocabulary size that cannot hold the bytes', () => {
    expect(() => trainBPE(['x'], { vocabSize: 200 })).toThrow(/vocabulary size 200 is out of range/);
  });
});
