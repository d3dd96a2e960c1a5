// Long pieces (one "word" of thousands of letters) go through the heap merge, which must give
// tiktoken's ids exactly, and whose work grows as n log n: a 100,000-letter word sent to the server
// took 55 s of the quadratic loop.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { get_encoding, type Tiktoken } from 'tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpt2Tokenizer, type BPETokenizer } from '../../src/llm/fundamentals.js';
import { LONG_PIECE, mergeLong, mergeShort, NO_MERGE } from '../../src/llm/tokenizer/merge.js';

let reference: Tiktoken;
let ours: BPETokenizer;
beforeAll(() => {
  reference = get_encoding('gpt2');
  ours = gpt2Tokenizer();
});
afterAll(() => reference.free());

// Letters only, so that the whole string is one piece; syllables that GPT-2 merges in many ways.
const word = (min: number, max: number) =>
  fc
    .array(fc.constantFrom('a', 'b', 'e', 't', 'h', 'in', 'er', 'the', 'é', 'ö', 'ß', '日本', 'Ω'), {
      minLength: min,
      maxLength: max,
    })
    .map((parts) => parts.join(''));

describe('long pieces', () => {
  it('encode to tiktoken ids, with a space before them or not', () => {
    fc.assert(
      fc.property(word(LONG_PIECE, 1500), fc.boolean(), (w, space) => {
        const text = space ? ` ${w}` : w;
        expect(ours.encodeOrdinary(text)).toEqual(Array.from(reference.encode_ordinary(text)));
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('merge as the quadratic loop does, on any pair table', () => {
    // A random table of which pairs merge and in what order: the two loops must agree on all of them.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 300 }),
        fc.integer({ min: 1, max: 1000 }),
        (bytes, salt) => {
          const rank = (l: number, r: number) => {
            const h = Math.imul((l * 131 + r) ^ salt, 0x9e3779b1) >>> 0;
            return h % 3 === 0 ? NO_MERGE : 1000 + (h % 5000);
          };
          const a = Int32Array.from(bytes);
          const b = Int32Array.from(bytes);
          const n = mergeShort(a, new Int32Array(a.length), a.length, rank);
          const m = mergeLong(b, b.length, rank);
          expect(Array.from(b.subarray(0, m))).toEqual(Array.from(a.subarray(0, n)));
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });

  it('encodeAsync gives the ids of encode, whatever its budget', async () => {
    const verdict = readFileSync(new URL('../../data/the-verdict.txt', import.meta.url), 'utf8');
    const text = `${verdict.slice(0, 3000)}<|endoftext|>${'ab'.repeat(10_000)} x${verdict.slice(3000, 6000)}`;
    const options = { allowedSpecial: 'all' } as const;
    for (const budget of [1, 7, 100, 1 << 14])
      expect(await ours.encodeAsync(text, options, budget)).toEqual(ours.encode(text, options));
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        async (t, b) => {
          expect(await ours.encodeAsync(t, {}, b)).toEqual(ours.encode(t));
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('a 100,000-letter word encodes, round-trips, and costs n log n heap steps', () => {
    const long = 'ab'.repeat(50_000);
    const ids = ours.encodeOrdinary(long);
    expect(ours.decode(ids)).toBe(long);
    // The work, counted: pair lookups stay within a few per byte (the scan would compare n^2 / 2).
    let lookups = 0;
    const bytes = Int32Array.from(Buffer.from(long));
    const rank = (l: number, r: number) => {
      lookups++;
      return l === r ? NO_MERGE : l < 256 && r < 256 ? 300 : NO_MERGE;
    };
    const stats = { merges: 0 };
    const left = mergeLong(bytes, bytes.length, rank, stats);
    expect(left).toBe(50_000);
    expect(stats.merges).toBe(50_000);
    expect(lookups).toBeLessThanOrEqual(3 * long.length);
  });
});
