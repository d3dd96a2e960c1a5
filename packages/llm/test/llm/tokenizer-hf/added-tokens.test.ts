// Added tokens with each of tokenizers' flags (lstrip, rstrip, single_word, normalized), in a small
// byte-level tokenizer.json with an NFC normalizer, against Hugging Face tokenizers (the Rust library):
// the released families set none of these flags, so this is where their rules are checked.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bytesToUnicode } from '../../../src/llm/tokenizer/byte-unicode.js';
import { HFTokenizer } from '../../../src/llm/tokenizer/hf/tokenizer.js';

const require = createRequire(import.meta.url);

const vocab: Record<string, number> = {};
bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
Object.assign(vocab, { he: 256, ll: 257, hell: 258 });
const flags = { single_word: false, lstrip: false, rstrip: false, normalized: false };
const json = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: 259, content: '<L>', special: true, lstrip: true },
    { id: 260, content: '<R>', special: true, rstrip: true },
    { id: 261, content: 'word', special: false, single_word: true },
    { id: 262, content: '<N>', special: false, normalized: true },
    { id: 263, content: '<LR>', special: false, lstrip: true, rstrip: true },
    // Matched in the NFC text: the decomposed spelling matches too.
    { id: 264, content: '<É>', special: false, normalized: true },
    // Matched in the raw text: only this (decomposed) spelling.
    { id: 265, content: '<E\u0301x>', special: false },
  ].map((t) => ({ ...flags, ...t })),
  normalizer: { type: 'NFC' },
  pre_tokenizer: {
    type: 'Sequence',
    pretokenizers: [
      {
        type: 'Split',
        pattern: { Regex: "(?i:'s)|\\p{L}+|\\s+|[^\\s\\p{L}]+" },
        behavior: 'Isolated',
        invert: false,
      },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  },
  post_processor: null,
  decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
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
    merges: ['h e', 'l l', 'he ll'],
  },
};

const CASES = [
  'a  <L>b',
  '  <L>  <R>  c',
  'x<R>\t\n y',
  'ab<R>\u3000\u0085c',
  'a\u00a0<L>',
  '<L><L>  <R><R>',
  ' <LR><L> ',
  'x  <LR>  y',
  'a word b',
  'awordb',
  'word',
  'wordy word',
  '_word_',
  'x\u0301word',
  '1word',
  '²word',
  'word2',
  '\u{1d518}word',
  '\u200dword',
  'sword words',
  'hello <N> x',
  '<E\u0301> <É>',
  '<E\u0301x> <Éx>',
];

describe('added-token flags', () => {
  it("split the text as Hugging Face tokenizers' find_matches does", async () => {
    const ours = new HFTokenizer(json, 'tokenizer.json');
    const rust = require('tokenizers').Tokenizer.fromString(JSON.stringify(json));
    for (const text of CASES) {
      const expected = (await rust.encode(text, null, { addSpecialTokens: false })).getIds();
      expect([text, ours.encode(text, { allowedSpecial: 'all' })]).toEqual([text, expected]);
    }
  });
});
