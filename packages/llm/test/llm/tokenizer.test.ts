// GPT-2 BPE against tiktoken (the reference): hand-made edge cases, every BMP code point in contexts
// that expose its pre-tokenizer class, and a deterministic few-MB sample of the Brown and SpamAssassin
// corpora. The full corpora run in test/e2e (npm run test:e2e).
import { get_encoding, type Tiktoken } from 'tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brownText, sample, spamAssassinText } from '../../bench/corpora.js';
import { gpt2Tokenizer, type BPETokenizer } from '../../src/llm/fundamentals.js';
import { EDGE_CASES } from './edge-cases.js';

let reference: Tiktoken;
let ours: BPETokenizer;
const utf8 = new TextDecoder();

beforeAll(() => {
  reference = get_encoding('gpt2');
  ours = gpt2Tokenizer();
});
afterAll(() => reference.free());

const expected = (text: string) => Array.from(reference.encode_ordinary(text));

describe('GPT-2 BPE: ids equal to tiktoken', () => {
  for (const [name, text] of Object.entries(EDGE_CASES)) {
    it(name, () => {
      expect(ours.encodeOrdinary(text)).toEqual(expected(text));
      const back = text.replace(
        /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
        '\ufffd',
      );
      expect(ours.decode(ours.encodeOrdinary(text))).toBe(back);
    });
  }

  it('every BMP code point, in contexts that expose its character class', () => {
    const failing: string[] = [];
    for (let block = 0; block < 256; block++) {
      const parts: string[] = [];
      for (let c = block * 256; c < block * 256 + 256; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        const ch = String.fromCharCode(c);
        parts.push(`x${ch}x 1${ch}1 !${ch}! ${ch}${ch} ${ch}\n`);
      }
      const text = parts.join('');
      const a = ours.encodeOrdinary(text);
      const b = expected(text);
      if (a.length !== b.length || a.some((id, i) => id !== b[i]))
        failing.push(`U+${(block * 256).toString(16)}`);
    }
    expect(failing).toEqual([]);
  });

  for (const [name, load] of [
    ['Brown', brownText],
    ['SpamAssassin', spamAssassinText],
  ] as const) {
    it(`a 2 MB sample of the ${name} corpus`, () => {
      const text = sample(load(), 2_000_000);
      const ids = ours.encode(text);
      expect(ids).toEqual(Array.from(reference.encode(text)));
      expect(ours.decode(ids)).toBe(text);
    });
  }
});

describe('special tokens, as tiktoken', () => {
  const text = 'Hello <|endoftext|> world';

  it('are disallowed by default, with an error naming the token', () => {
    expect(() => ours.encode(text)).toThrow(
      /special token <\|endoftext\|> \(id 50256\), which is not allowed/,
    );
    expect(() => reference.encode(text)).toThrow();
  });

  it('encode to their id when allowed', () => {
    for (const allowed of ['all', ['<|endoftext|>']] as const) {
      const ids = ours.encode(text, { allowedSpecial: allowed });
      expect(ids).toContain(50256);
      expect(ids).toEqual(Array.from(reference.encode(text, 'all')));
      expect(ours.decode(ids)).toBe(text);
    }
  });

  it('encode as ordinary text when nothing is disallowed', () => {
    const ids = ours.encode(text, { disallowedSpecial: [] });
    expect(ids).not.toContain(50256);
    expect(ids).toEqual(Array.from(reference.encode(text, [], [])));
    expect(ours.encodeOrdinary(text)).toEqual(ids);
  });

  it('are found anywhere: adjacent, at the ends, repeated', () => {
    const s = '<|endoftext|><|endoftext|>a<|endoftext|> <|endoftext|>';
    expect(ours.encode(s, { allowedSpecial: 'all' })).toEqual(Array.from(reference.encode(s, 'all')));
  });

  it('rejects an unknown special token in allowedSpecial', () => {
    expect(() => ours.encode('x', { allowedSpecial: ['<|nope|>'] })).toThrow(/is not a special token/);
  });
});

describe('decode', () => {
  it('turns a split UTF-8 character into U+FFFD, as tiktoken + TextDecoder', () => {
    const ids = ours.encode('🍕 pizza');
    for (let k = 0; k <= ids.length; k++) {
      for (const part of [ids.slice(0, k), ids.slice(k)]) {
        expect(ours.decode(part)).toBe(utf8.decode(reference.decode(Uint32Array.from(part))));
      }
    }
  });

  it('decodeBytes is the exact inverse of encode on bytes', () => {
    const text = 'héllo 🍕 \ud800';
    expect(Array.from(ours.decodeBytes(ours.encode(text)))).toEqual(
      Array.from(new TextEncoder().encode(text)),
    );
    expect(Array.from(ours.decodeBytes([447, 227]))).toEqual(
      Array.from(reference.decode(Uint32Array.of(447, 227))),
    );
  });

  it('keeps a leading U+FEFF', () => {
    expect(ours.decode(ours.encode('\ufeffx'))).toBe('\ufeffx');
  });

  it('names an unknown id', () => {
    expect(() => ours.decode([50257])).toThrow(/unknown token id 50257 \(the vocabulary has ids 0..50256\)/);
    expect(() => ours.decode([-1])).toThrow(/unknown token id -1/);
  });
});

describe('the piece cache', () => {
  it('gives the same ids after it is dropped for being full', () => {
    const words = Array.from({ length: 150_000 }, (_, i) => `q${(i * 7919).toString(36)}z`).join(' ');
    const first = ours.encodeOrdinary(words);
    expect(first).toEqual(expected(words));
    expect(ours.encodeOrdinary(words)).toEqual(first);
  });
});
