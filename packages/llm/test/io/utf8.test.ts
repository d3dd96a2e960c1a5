// The UTF-8 check behind every text reader's warning: the offset it names is the first byte that
// TextDecoder rejects, on hand-picked cases and on random bytes; and a reader that passes it on.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstBadUtf8Byte } from '../../src/io/utf8.js';
import { loadCorpus } from '../../src/llm/pretrain.js';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const valid = (bytes: Uint8Array) => {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe('firstBadUtf8Byte', () => {
  it.each([
    ['ASCII', [0x61, 0x62], -1],
    ['Latin-1 é', [0x63, 0x61, 0x66, 0xe9], 3],
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong slash', [0xc0, 0xaf], 0],
    ['a surrogate', [0x61, 0xed, 0xa0, 0x80], 1],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a character cut at the end', [0x61, 0xe2, 0x82], 1],
    ['€ whole', [0xe2, 0x82, 0xac], -1],
    ['a 4-byte emoji', [0xf0, 0x9f, 0x98, 0x80], -1],
  ])('%s', (_, bytes, at) => {
    expect(firstBadUtf8Byte(Uint8Array.from(bytes))).toBe(at);
  });

  it('names the first byte that TextDecoder rejects, for any bytes', () => {
    const bytes = fc.uint8Array({ maxLength: 40 });
    const mixed = fc
      .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.uint8Array({ maxLength: 3 })), {
        maxLength: 8,
      })
      .map((parts) =>
        Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : [...p]))),
      );
    fc.assert(
      fc.property(fc.oneof(bytes, mixed), (b) => {
        const at = firstBadUtf8Byte(b);
        if (at < 0) return valid(b);
        // Everything before it is UTF-8, and no character starts well-formed at it.
        const cut = [1, 2, 3, 4].map((k) => b.subarray(0, at + k));
        return !valid(b) && valid(b.subarray(0, at)) && cut.every((c) => !valid(c));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe('decodeUtf8', () => {
  it('decodes as before, with one warning naming the source and the offset', () => {
    const warnings: string[] = [];
    const text = decodeUtf8(Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x21]), 'menu.txt', (w) =>
      warnings.push(w),
    );
    expect(text).toBe('caf\ufffd!');
    expect(warnings).toEqual([
      'warning: menu.txt: not valid UTF-8 (byte 0xe9 at offset 3); bad bytes read as U+FFFD\n',
    ]);
  });

  it('says nothing about valid text, a byte-order mark included', () => {
    const warnings: string[] = [];
    expect(decodeUtf8(Buffer.from('\ufeffnaïve', 'utf8'), 'x', (w) => warnings.push(w))).toBe('\ufeffnaïve');
    expect(warnings).toEqual([]);
  });
});

describe('readers that warn', () => {
  it('train reads a Latin-1 corpus with a warning naming the file and the offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latin1-'));
    try {
      const file = join(dir, 'corpus.txt');
      writeFileSync(
        file,
        Buffer.concat([Buffer.from('Every effort moves you, caf'), Buffer.from([0xe9]), Buffer.from('.\n')]),
      );
      const warnings: string[] = [];
      const corpus = loadCorpus([file], 0.9, undefined, (w) => warnings.push(w));
      expect(warnings).toEqual([
        `warning: ${file}: not valid UTF-8 (byte 0xe9 at offset 27); bad bytes read as U+FFFD\n`,
      ]);
      expect(corpus.totalTokens).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
