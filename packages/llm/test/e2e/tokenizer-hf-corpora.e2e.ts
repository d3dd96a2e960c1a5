// The full corpora through the Hugging Face tokenizers of the three families (npm run test:e2e): ids
// equal to Hugging Face tokenizers (the Rust library) on all of the Brown corpus (6.2 MB) and the
// SpamAssassin emails (32.5 MB, special-token text encoded as text on our side: neither corpus holds
// one of these families' special tokens, which tokenizers would split out).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brownText, spamAssassinText } from '../../bench/corpora.js';
import { loadTokenizer } from '../../src/llm/fundamentals.js';
import { familyDir, type Family } from '../llm/tokenizer-hf/family-suite.js';

const require = createRequire(import.meta.url);

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference at token ${i}`;
  return null;
}

describe('Hugging Face tokenizers on the full corpora', () => {
  for (const family of ['llama3', 'qwen3', 'gemma3'] as Family[]) {
    it(`${family}: Brown and SpamAssassin give tokenizers' ids`, async () => {
      const ours = loadTokenizer(familyDir(family));
      const rust = require('tokenizers').Tokenizer.fromFile(join(familyDir(family), 'tokenizer.json'));
      for (const text of [brownText(), spamAssassinText()]) {
        const expected = (await rust.encode(text, null, { addSpecialTokens: false })).getIds();
        expect(sameIds(ours.encode(text, { disallowedSpecial: [] }), expected)).toBeNull();
      }
    });
  }
});
