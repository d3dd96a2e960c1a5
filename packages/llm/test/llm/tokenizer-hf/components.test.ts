// The normalizers and pre-tokenizers beyond the three families' own (every Split behaviour, inverted
// or not, on a string and on regexes; ByteLevel with a prefix space and its regex; NFKC, Lowercase,
// Replace with a regex, Prepend), each in a small byte-level tokenizer.json, against Hugging Face
// tokenizers (the Rust library).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bytesToUnicode } from '../../../src/llm/tokenizer/byte-unicode.js';
import { HFTokenizer } from '../../../src/llm/tokenizer/hf/tokenizer.js';

const require = createRequire(import.meta.url);

const vocab: Record<string, number> = {};
bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
Object.assign(vocab, { he: 256, ll: 257, hell: 258, Ġw: 259 });
const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

const tokenizerJson = (preTokenizer: unknown, normalizer: unknown = null) => ({
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer,
  pre_tokenizer: preTokenizer,
  post_processor: null,
  decoder: byteLevel,
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges: ['h e', 'l l', 'he ll', 'Ġ w'],
  },
});

const configs: Array<[string, unknown]> = [];
for (const behavior of ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']) {
  for (const invert of [false, true]) {
    for (const pattern of [{ String: ' ' }, { Regex: '\\s+' }, { Regex: '\\d' }]) {
      const split = { type: 'Split', pattern, behavior, invert };
      configs.push([
        `Split ${behavior} invert=${invert} ${JSON.stringify(pattern)}`,
        tokenizerJson({ type: 'Sequence', pretokenizers: [split, byteLevel] }),
      ]);
    }
  }
}
configs.push([
  'ByteLevel with a prefix space and its regex',
  tokenizerJson({ ...byteLevel, add_prefix_space: true, use_regex: true }),
]);
configs.push([
  'NFKC then Lowercase',
  tokenizerJson(byteLevel, { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] }),
]);
configs.push([
  'Replace a regex',
  tokenizerJson(byteLevel, { type: 'Replace', pattern: { Regex: '\\s+' }, content: '_' }),
]);
configs.push(['Prepend', tokenizerJson(byteLevel, { type: 'Prepend', prepend: '▁' })]);

const TEXTS = ['hello world  12 3', '  x1y22  ', 'ＡＢＣ ﬁ ½ HeLLo', '', ' ', 'a\u0085b \ufeff c'];

describe('normalizers and pre-tokenizers', () => {
  for (const [name, json] of configs) {
    it(name, async () => {
      const ours = new HFTokenizer(json, 'tokenizer.json');
      const rust = require('tokenizers').Tokenizer.fromString(JSON.stringify(json));
      for (const text of TEXTS) {
        const expected = (await rust.encode(text, null, { addSpecialTokens: false })).getIds();
        expect([text, ours.encode(text)]).toEqual([text, expected]);
      }
    });
  }
});
