// The hand-written pre-tokenizer against GPT-2's regex run by V8. They differ on purpose in one
// place: tiktoken's (Rust) \s is Unicode White_Space, so U+0085 is white space and U+FEFF is not,
// the reverse of JavaScript's \s; texts with those two characters are left out here and checked
// against tiktoken itself in tokenizer.test.ts.
import { describe, expect, it } from 'vitest';
import { brownText, sample, spamAssassinText } from '../../bench/corpora.js';
import { pretokenize } from '../../src/llm/fundamentals.js';
import { EDGE_CASES } from './edge-cases.js';

const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
// Characters on which V8's \s and Rust's differ, or whose class only tiktoken's tests can settle.
const RUST_ONLY = '\u0085\ufeff\u180e\x1c\x1d\x1e\x1f';
const byRegex = (text: string) => text.match(GPT2_PATTERN) ?? [];

describe('pre-tokenizer scanner = GPT-2 regex', () => {
  for (const [name, text] of Object.entries(EDGE_CASES)) {
    if ([...RUST_ONLY].some((c) => text.includes(c)) || /[\ud800-\udfff]/.test(text)) continue;
    it(name, () => expect(pretokenize(text)).toEqual(byRegex(text)));
  }

  it('on a sample of both corpora', () => {
    const text =
      sample(brownText(), 500_000) + sample(spamAssassinText(), 1_000_000).replace(/[\u0085\ufeff]/g, '');
    expect(pretokenize(text)).toEqual(byRegex(text));
  });

  it('follows Rust on U+0085 (white space) and U+FEFF (not)', () => {
    expect(pretokenize('a \u0085b')).toEqual(['a', ' ', '\u0085', 'b']);
    expect(pretokenize('a \ufeffb')).toEqual(['a', ' \ufeff', 'b']);
  });

  it('joins the pieces back into the text', () => {
    const text = Object.values(EDGE_CASES).join('');
    expect(pretokenize(text).join('')).toBe(text);
  });
});
