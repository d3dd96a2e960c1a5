import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { toBf16 } from '../../src/backend/bf16.js';
import {
  openSafetensors,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { keepInBf16 } from '../../src/tensor/bf16-weights.js';
import * as T from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raw(name: string, bytes: Uint8Array): string {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

// Builds a file from a header object and raw data bytes, as a foreign writer would.
function craft(name: string, header: unknown, data: Uint8Array, lengthOverride?: number): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(lengthOverride ?? json.length));
  return raw(name, Buffer.concat([len, json, data]));
}

describe('safetensors', () => {
  it('round-trips float32 and int32 tensors and metadata, with an 8-byte aligned header', () => {
    const file = join(dir, 'round.safetensors');
    const tensors = new Map([
      ['b.weight', T.randn([3, 4])],
      ['a.ids', T.tensor(Int32Array.of(1, -2, 3))],
    ]);
    writeSafetensors(file, tensors, { format: 'pt' });
    const bytes = readFileSync(file);
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...back.tensors.keys()]).toEqual(['a.ids', 'b.weight']);
    expect(back.tensors.get('b.weight')!.data).toEqual(tensors.get('b.weight')!.data);
    expect(back.tensors.get('a.ids')!.dtype).toBe('int32');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('widens F16 (subnormals, infinities) and BF16 to float32', () => {
    const f16 = Buffer.alloc(10);
    [0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00].forEach((h, i) => f16.writeUInt16LE(h, 2 * i));
    const bf16 = Buffer.alloc(4);
    [0x3f80, 0xc0a0].forEach((h, i) => bf16.writeUInt16LE(h, 2 * i));
    const file = craft(
      'half.safetensors',
      {
        h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] },
      },
      Buffer.concat([f16, bf16]),
    );
    const t = readSafetensors(file).tensors;
    expect(Array.from(t.get('h')!.data)).toEqual([1, -2, 0.5, 2 ** -24, Infinity]);
    expect(Array.from(t.get('b')!.data)).toEqual([1, -5]);
  });

  it('rejects malformed files with one line naming the tensor and the problem', () => {
    const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, string, () => string][] = [
      ['tiny', 'shorter than the 8-byte header length', () => raw('tiny', Buffer.alloc(3))],
      ['huge header', 'exceeds 100000000 bytes', () => craft('huge', ok, new Uint8Array(8), 2 ** 40)],
      [
        'header past end',
        'header length 5000 runs past the end of the 70-byte file',
        () => craft('past', ok, new Uint8Array(8), 5000),
      ],
      [
        'unknown dtype',
        `tensor 'w' has an unknown dtype '"F63"'`,
        () => craft('dt', { w: { ...ok.w, dtype: 'F63' } }, new Uint8Array(8)),
      ],
      [
        'a dtype this reader cannot take',
        "tensor 'w' is F64; this reader takes F32, F16, BF16, I32",
        () => craft('f64', { w: { ...ok.w, dtype: 'F64', shape: [1] } }, new Uint8Array(8)),
      ],
      [
        'a byte past the last tensor (a header length one short, as a foreign writer pads)',
        '1 bytes after the last tensor',
        () => craft('trail', ok, new Uint8Array(9)),
      ],
      [
        'a gap between tensors',
        "tensor 'v' starts at byte 12, expected 8 (it leaves a gap after the tensor before it)",
        () =>
          craft(
            'gap',
            { ...ok, v: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } },
            new Uint8Array(16),
          ),
      ],
      [
        'data that does not start at byte 0',
        "tensor 'w' starts at byte 4, expected 0",
        () => craft('late', { w: { ...ok.w, data_offsets: [4, 12] } }, new Uint8Array(12)),
      ],
      [
        'offsets in reverse',
        "tensor 'w' has invalid data_offsets '[8,0]'",
        () => craft('rev', { w: { ...ok.w, data_offsets: [8, 0] } }, new Uint8Array(8)),
      ],
      [
        'a shape whose product passes 2^53',
        'needs 5070602400912917605986812821504 bytes',
        () => craft('ovf', { w: { ...ok.w, shape: [2 ** 50, 2 ** 50] } }, new Uint8Array(8)),
      ],
      [
        'metadata that is not a map of strings',
        '__metadata__ must map names to strings',
        () => craft('meta', { __metadata__: { step: 3 }, ...ok }, new Uint8Array(8)),
      ],
      [
        'a tensor name with a newline, quoted on one line',
        "tensor 'a\\u000ab' has an unknown dtype",
        () => craft('nl', { 'a\nb': { ...ok.w, dtype: 'X' } }, new Uint8Array(8)),
      ],
      ['an empty file', 'the file is empty', () => raw('empty', new Uint8Array(0))],
      [
        'size mismatch',
        "tensor 'w' of shape [3] F32 needs 12 bytes, but its data_offsets [0, 8] hold 8",
        () => craft('sz', { w: { ...ok.w, shape: [3] } }, new Uint8Array(8)),
      ],
      [
        'truncated data',
        'the tensors need 8 bytes of data, the file holds 4 after the header (truncated?)',
        () => craft('tr', ok, new Uint8Array(4)),
      ],
      [
        'overlap',
        "tensor 'v' starts at byte 4, expected 8 (it overlaps the tensor before it)",
        () =>
          craft('ov', { ...ok, v: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      ],
      [
        'bad shape',
        "tensor 'w' has an invalid shape",
        () => craft('sh', { w: { ...ok.w, shape: [-2] } }, new Uint8Array(8)),
      ],
    ];
    for (const [what, message, make] of cases) {
      expect(() => readSafetensors(make()), what).toThrow(message);
    }
    const notJson = raw('nj', Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x]')]));
    expect(() => readSafetensors(notJson)).toThrow('the header is not valid JSON');
    const notBrace = raw('nb', Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(' {}')]));
    expect(() => readSafetensors(notBrace)).toThrow("the header does not start with '{'");
    const latin1 = raw(
      'l1',
      Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"\xe9"}', 'latin1')]),
    );
    expect(() => readSafetensors(latin1)).toThrow('the header is not valid UTF-8');
    expect(() => readSafetensors(join(dir, 'missing.safetensors'))).toThrow(
      `cannot read weights ${join(dir, 'missing.safetensors')}: no such file`,
    );
  });

  it('names what stands in place of the file: a directory, a dangling link, a pipe', () => {
    const where = mkdtempSync(join(dir, 'places-'));
    mkdirSync(join(where, 'adir'));
    symlinkSync(join(where, 'gone'), join(where, 'dangling'));
    execFileSync('mkfifo', [join(where, 'fifo')]);
    expect(() => readSafetensors(join(where, 'adir'))).toThrow(/adir: is a directory, not a file$/);
    expect(() => readSafetensors(join(where, 'dangling'))).toThrow(
      /dangling: a symbolic link to a missing file$/,
    );
    // Opening a pipe would block until a writer came: refused before it is opened.
    expect(() => readSafetensors(join(where, 'fifo'))).toThrow(/fifo: not a regular file$/);
  });

  it('reads the same tensors from memory as from the file', () => {
    const file = join(dir, 'mem.safetensors');
    writeSafetensors(
      file,
      new Map([
        [
          'x',
          T.tensor([
            [1, 2],
            [3, 4],
          ]),
        ],
      ]),
    );
    const fromMemory = parseSafetensors(readFileSync(file), 'mem');
    expect(Array.from(fromMemory.tensors.get('x')!.data)).toEqual([1, 2, 3, 4]);
    expect(() => parseSafetensors(readFileSync(file).subarray(0, 20), 'cut')).toThrow(/^cut: not a valid/);
  });

  it('leaves the old file in place and no temporary file when a write fails midway', () => {
    const file = join(dir, 'keep.txt');
    writeFileAtomic(file, ['old']);
    const failing = {
      get length(): number {
        throw new Error('disk full');
      },
    } as unknown as Uint8Array;
    expect(() => writeFileAtomic(file, ['new', failing])).toThrow('disk full');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('reading a tensor as bf16 bits', () => {
  it('rounds F32 to nearest even, keeps BF16 as stored, and writes a bf16-only weight back as BF16', () => {
    const values = Float32Array.from([1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -9, 3.14159, -1e-30]);
    const file = join(dir, 'bf16-read.safetensors');
    writeSafetensors(file, new Map([['w', new T.Tensor(values.slice(), [2, 3])]]));
    const fromF32 = new Uint16Array(6);
    const reader = openSafetensors(file);
    reader.readBf16('w', fromF32);
    reader.close();
    expect(Array.from(fromF32)).toEqual(Array.from(toBf16(values)));
    // 1 + 2^-8 is a tie: to the even 1; 1 + 3 * 2^-9 rounds up to 1 + 2^-7.
    expect(fromF32[2]).toBe(0x3f80);
    expect(fromF32[3]).toBe(0x3f81);

    const kept = new T.Tensor(new Float32Array(6), [2, 3]);
    keepInBf16(kept, fromF32);
    const file2 = join(dir, 'bf16-written.safetensors');
    writeSafetensors(file2, new Map([['w', kept]]));
    const again = openSafetensors(file2);
    expect(again.header.tensors.get('w')!.dtype).toBe('BF16');
    const fromBf16 = new Uint16Array(6);
    again.readBf16('w', fromBf16);
    expect(() => again.readBf16('w', new Uint16Array(5))).toThrow(/has 6 values, not 5/);
    again.close();
    expect(Array.from(fromBf16)).toEqual(Array.from(fromF32));
    expect(() => kept.f32('matmul')).toThrow(/matmul: the weight of shape \[2, 3\] is kept in bf16/);
  });
});
