// The book's simple tokenizers (sections 2.3-2.4) on the-verdict.txt, with the book's outputs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildVocabulary, SimpleTokenizerV1, SimpleTokenizerV2 } from '../../src/llm/fundamentals.js';

const raw = readFileSync(new URL('../../data/the-verdict.txt', import.meta.url), 'utf8');

describe('SimpleTokenizerV1', () => {
  const vocab = buildVocabulary(raw);
  const tokenizer = new SimpleTokenizerV1(vocab);

  it("has the book's vocabulary size", () => expect(vocab.size).toBe(1130));

  it("encodes and decodes the book's example", () => {
    const text = '"It\'s the last he painted, you know," Mrs. Gisburn said with pardonable pride.';
    const ids = tokenizer.encode(text);
    expect(ids).toEqual([
      1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7,
    ]);
    expect(tokenizer.decode(ids)).toBe(
      '" It\' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.',
    );
  });

  it('rejects a word outside the vocabulary, naming it', () => {
    expect(() => tokenizer.encode('Hello, do you like tea?')).toThrow(
      /the word "Hello" is not in the vocabulary/,
    );
  });
});

describe('SimpleTokenizerV2', () => {
  const vocab = buildVocabulary(raw, ['<|endoftext|>', '<|unk|>']);
  const tokenizer = new SimpleTokenizerV2(vocab);

  it("maps unknown words to <|unk|> and knows <|endoftext|>, as the book's example", () => {
    expect(vocab.size).toBe(1132);
    const text = 'Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.';
    const ids = tokenizer.encode(text);
    expect(ids).toEqual([1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]);
    expect(tokenizer.decode(ids)).toBe(
      '<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.',
    );
  });
});
