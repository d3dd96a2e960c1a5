// A tokenizer.json with any part replaced by arbitrary JSON gives a tokenizer that round-trips text,
// or one line (a UserError) naming the file: never a crash or a stack trace.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { bytesToUnicode } from '../../../src/llm/tokenizer/byte-unicode.js';
import { HFTokenizer } from '../../../src/llm/tokenizer/hf/tokenizer.js';

// Byte-level BPE over the 256 bytes, with merges for "he", "ll" and "hell", and one special token.
function smallTokenizer(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
  Object.assign(vocab, { he: 256, ll: 257, hell: 258 });
  return {
    added_tokens: [{ id: 259, content: '<|end|>', special: true, normalized: false }],
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "(?i:'s)|\\p{L}+|\\s+" }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
      ],
    },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges: ['h e', ['l', 'l'], 'he ll'], ignore_merges: false },
  };
}

function cleanly<R>(read: () => R): R | undefined {
  try {
    return read();
  } catch (err) {
    expect(err, String((err as Error)?.stack)).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toMatch(/[\n\r]/);
    return undefined;
  }
}

const PATHS = [
  ['added_tokens'],
  ['added_tokens', 0],
  ['normalizer'],
  ['pre_tokenizer'],
  ['pre_tokenizer', 'pretokenizers', 0],
  ['pre_tokenizer', 'pretokenizers', 0, 'pattern'],
  ['decoder'],
  ['model'],
  ['model', 'type'],
  ['model', 'vocab'],
  ['model', 'vocab', 'he'],
  ['model', 'merges'],
  ['model', 'merges', 1],
] as const;

function replaced(path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const json = smallTokenizer();
  let node = json as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return json;
}

describe('a malformed tokenizer.json', () => {
  it('the small tokenizer merges as its merge list says', () => {
    const tokenizer = new HFTokenizer(smallTokenizer(), 'tokenizer.json');
    expect(tokenizer.encode("hello IT'S<|end|>", { allowedSpecial: 'all' })).toEqual([
      258, 111, 32, 73, 84, 39, 83, 259,
    ]);
  });

  it('loads and round-trips, or is one line', () => {
    const values = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('BPE', 'Unigram', { type: 'Metaspace' }, { type: 'Split' }, -1, 2 ** 40, ['a b c']),
    );
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), values, (path, value) => {
        const tokenizer = cleanly(() => new HFTokenizer(replaced(path, value), 'tokenizer.json'));
        if (!tokenizer) return;
        const text = "hello world, IT'S <|end|> ünïcödé 😀";
        const ids = cleanly(() => tokenizer.encode(text, { allowedSpecial: 'all' }));
        if (ids) cleanly(() => tokenizer.decode(ids));
      }),
      { seed: 42, numRuns: 400 },
    );
  });
});
