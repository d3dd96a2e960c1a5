// Seeded property-based fuzzing of the readers of files from outside: safetensors on arbitrary and
// mutated bytes, config.json on arbitrary JSON values, and GPT-2's vocabulary files (encoder.json,
// vocab.bpe). Every input gives a correct result or a one-line UserError, never another exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { configFromHF, configToHF, parseConfigJson } from '../../src/llm/families/gpt2.js';
import { parseSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { BPETokenizer } from '../../src/llm/fundamentals.js';
import { presetConfig } from '../../src/llm/gpt.js';
import { bytesToUnicode } from '../../src/llm/tokenizer/byte-unicode.js';
import { formatVocab, parseVocab } from '../../src/llm/tokenizer/vocab-files.js';
import * as T from '../../src/tensor/index.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SEED = 42;

// Runs `read`; a thrown error must be a one-line UserError. Returns the result or undefined.
function cleanly<R>(read: () => R): R | undefined {
  try {
    return read();
  } catch (err) {
    expect(err, String((err as Error)?.stack)).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toMatch(/[\n\r]/);
    return undefined;
  }
}

// A small valid file to mutate: three tensors, metadata, an aligned header.
function validFile(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-st-'));
  try {
    const file = join(dir, 'x.safetensors');
    writeSafetensors(
      file,
      new Map([
        [
          'a',
          T.tensor([
            [1, 2],
            [3, 4],
          ]),
        ],
        ['b.ids', T.tensor(Int32Array.of(7, 8, 9))],
        ['c', T.zeros([0, 3])],
      ]),
      { format: 'pt' },
    );
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const valid = validFile();
const validHeaderLength = Number(valid.readBigUInt64LE(0));

// Edits of a buffer: flipped bits, replaced bytes, cuts, insertions, a rewritten header length.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ kind: fc.constant('near-length' as const), delta: fc.integer({ min: -16, max: 16 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Buffer, edits: Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const e of edits) {
    // Most edits land in the header, where the reader's decisions are.
    const span = Math.max(1, Math.min(out.length, 8 + validHeaderLength + 16));
    if (e.kind === 'flip' && out.length) out[e.at % span] ^= 1 << e.bit;
    else if (e.kind === 'set' && out.length) out[e.at % span] = e.value;
    else if (e.kind === 'cut') out = out.subarray(0, e.at % (out.length + 1));
    else if (e.kind === 'insert') {
      const at = e.at % (out.length + 1);
      out = Buffer.concat([out.subarray(0, at), e.bytes, out.subarray(at)]);
    } else if (e.kind === 'length' && out.length >= 8) out.writeBigUInt64LE(e.value, 0);
    else if (e.kind === 'near-length' && out.length >= 8)
      out.writeBigUInt64LE(BigInt(Math.max(0, validHeaderLength + e.delta)), 0);
  }
  return out;
}

// A header a foreign writer could have produced, right or wrong, with data of the size it claims
// (or not): the tensor fields drawn from valid and invalid values alike.
const dims = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(-1), fc.constant(2 ** 53), fc.constant('2')),
  { maxLength: 3 },
);
const entry = fc.record({
  dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I32', 'F64', 'U8', 'BOOL', 'X', 7),
  shape: dims,
  data_offsets: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })),
    fc.array(fc.oneof(fc.integer(), fc.double()), { maxLength: 3 }),
  ),
});
const header = fc.dictionary(
  fc.oneof(fc.constantFrom('a', 'b', '__metadata__', 'x\ny'), fc.string({ maxLength: 8 })),
  fc.oneof(entry, fc.jsonValue({ maxDepth: 2 })),
  { maxKeys: 4 },
);

function craft(h: unknown, dataLength: number): Buffer {
  const json = Buffer.from(JSON.stringify(h));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataLength, 0x3f)]);
}

describe('fuzz: the safetensors reader', () => {
  it('gives tensors that fit the data, or one line, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        cleanly(() => parseSafetensors(bytes, 'fuzz'));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('on mutations of a valid file: a clean error, or tensors whose bytes fill the file exactly', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (edits) => {
        const bytes = mutate(valid, edits);
        const read = cleanly(() => parseSafetensors(bytes, 'fuzz'));
        if (!read) return;
        // Whatever loads accounts for every byte after the header: nothing skipped, nothing extra.
        const length = Number(bytes.readBigUInt64LE(0));
        const declared = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
          string,
          { data_offsets: [number, number] }
        >;
        const ranges = Object.entries(declared).filter(([k]) => k !== '__metadata__');
        const covered = ranges.reduce((n, [, e]) => n + e.data_offsets[1] - e.data_offsets[0], 0);
        expect(covered).toBe(bytes.length - 8 - length);
        expect([...read.tensors.keys()].sort()).toEqual(ranges.map(([k]) => k).sort());
        for (const t of read.tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      }),
      { seed: SEED, numRuns: 800 },
    );
  });

  it('on forged headers: a clean error, or exactly the tensors the header declares', () => {
    fc.assert(
      fc.property(header, fc.integer({ min: 0, max: 80 }), (h, dataLength) => {
        const read = cleanly(() => parseSafetensors(craft(h, dataLength), 'fuzz'));
        if (!read) return;
        const declared = Object.keys(h).filter((k) => k !== '__metadata__');
        expect([...read.tensors.keys()].sort()).toEqual(declared.sort());
      }),
      { seed: SEED, numRuns: 800 },
    );
  });
});

describe('fuzz: config.json', () => {
  it('gives a config the model can be built from, or one line, for any JSON value', () => {
    // Values near the valid ones find more than uniformly random JSON would.
    const near = fc.record(
      {
        vocab_size: fc.oneof(fc.integer({ min: -2, max: 100 }), fc.jsonValue({ maxDepth: 1 })),
        n_positions: fc.oneof(fc.integer({ min: -2, max: 2 ** 21 }), fc.double()),
        n_embd: fc.oneof(fc.integer({ min: -2, max: 64 }), fc.string()),
        n_layer: fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.constant(1e9)),
        n_head: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constant(null)),
        tie_word_embeddings: fc.jsonValue({ maxDepth: 0 }),
        resid_pdrop: fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 0 })),
        llm_scratch: fc.oneof(
          fc.jsonValue({ maxDepth: 1 }),
          fc.record({ qkvBias: fc.jsonValue({ maxDepth: 0 }) }),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), near), (value) => {
        const text = JSON.stringify(value) ?? 'null';
        const config = cleanly(() => configFromHF(parseConfigJson(text, 'config.json'), 'config.json'));
        if (!config) return;
        for (const key of ['vocabSize', 'contextLength', 'embDim', 'nLayers', 'nHeads'] as const)
          expect(Number.isInteger(config[key]) && config[key] >= 1).toBe(true);
        expect(config.embDim % config.nHeads).toBe(0);
        expect(config.nLayers).toBeLessThanOrEqual(1024);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('reads back what configToHF writes', () => {
    const config = { ...presetConfig('gpt2-tiny'), tieWeights: false };
    expect(configFromHF(configToHF(config), 'config.json')).toEqual(config);
  });

  it('gives one line for text that is not JSON', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        cleanly(() => parseConfigJson(text, 'config.json'));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

// A small vocabulary: the 256 bytes and a few merges, written as GPT-2's two files.
const table = bytesToUnicode();
const baseEncoder: Record<string, number> = Object.fromEntries(table.map((ch, b) => [ch, b]));
const small = {
  encoder: JSON.stringify({
    ...baseEncoder,
    [table[104] + table[105]]: 256,
    [table[104] + table[105] + table[115]]: 257,
    '<|endoftext|>': 258,
  }),
  merges: `#version: 0.2\n${table[104]} ${table[105]}\n${table[104] + table[105]} ${table[115]}\n`,
};

describe('fuzz: the GPT-2 vocabulary files', () => {
  it('a small vocabulary reads back and encodes with its merges', () => {
    const vocab = parseVocab(small.encoder, small.merges, 'encoder.json', 'vocab.bpe');
    const tokenizer = new BPETokenizer(vocab);
    expect(tokenizer.encode('his hi!')).toEqual([257, 32, 256, 33]);
    expect(formatVocab(vocab).merges).toBe(small.merges);
  });

  it('gives a tokenizer or one line for mutated encoder.json and vocab.bpe', () => {
    const edit = fc.record({
      at: fc.nat(),
      cut: fc.integer({ min: 0, max: 4 }),
      insert: fc.string({ maxLength: 4 }),
    });
    const apply = (text: string, edits: { at: number; cut: number; insert: string }[]) =>
      edits.reduce((t, e) => {
        const at = e.at % (t.length + 1);
        return t.slice(0, at) + e.insert + t.slice(at + e.cut);
      }, text);
    fc.assert(
      fc.property(
        fc.array(edit, { maxLength: 3 }),
        fc.array(edit, { maxLength: 3 }),
        (encoderEdits, mergeEdits) => {
          const encoder = apply(small.encoder, encoderEdits);
          const merges = apply(small.merges, mergeEdits);
          const vocab = cleanly(() => parseVocab(encoder, merges, 'encoder.json', 'vocab.bpe'));
          if (!vocab) return;
          // A vocabulary that loads round-trips any text through its tokenizer.
          const tokenizer = new BPETokenizer(vocab);
          const text = 'his hi! <|endoftext|>';
          expect(tokenizer.decode(tokenizer.encode(text, { disallowedSpecial: [] }))).toBe(text);
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('gives one line for arbitrary JSON as encoder.json and arbitrary lines as vocab.bpe', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 2 }),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 5 }),
        (json, lines) => {
          cleanly(() =>
            parseVocab(JSON.stringify(json) ?? 'null', lines.join('\n'), 'encoder.json', 'vocab.bpe'),
          );
          cleanly(() => parseVocab(small.encoder, lines.join('\n'), 'encoder.json', 'vocab.bpe'));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
