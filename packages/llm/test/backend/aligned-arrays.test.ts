// Arrays for the kernels start on a 64-byte line where the native backend runs (aligned-arrays.ts):
// made fresh, from the tensor library's pool, for an optimizer's moments and from a safetensors
// file; on the TypeScript backend they are the plain arrays V8 makes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignedArray, alignedF32 } from '../../src/backend/aligned-arrays.js';
import { availableBackends, resetBackend, useBackend } from '../../src/backend/index.js';
import { loadNative } from '../../src/backend/native.js';
import { openSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { AdamW } from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { emptyF32, zerosF32 } from '../../src/tensor/storage.js';

afterAll(() => resetBackend());

const nativeAvailable = availableBackends().includes('native');

describe.skipIf(!nativeAvailable)('misalignment (native)', () => {
  it('measures the distance from the last 64-byte boundary', () => {
    const native = loadNative()!;
    const array = alignedF32(4096);
    expect(native.misalignment(array)).toBe(0);
    expect(native.misalignment(array.subarray(1))).toBe(4);
    expect(native.misalignment(array.subarray(15))).toBe(60);
    expect(native.misalignment(array.subarray(16))).toBe(0);
    expect(() => native.misalignment([1, 2] as unknown as Float32Array)).toThrow(/typed array/);
  });
});

describe.each(availableBackends())('arrays for the kernels on the %s backend', (backend) => {
  const aligned = backend === 'native';
  const startsALine = (a: Float32Array | Uint16Array): boolean =>
    aligned
      ? loadNative()!.misalignment(a) === 0
      : a.byteOffset === 0 && a.buffer.byteLength === a.byteLength;

  it('are zero-filled, of the length asked, and start a line when a page or longer', () => {
    useBackend(backend);
    for (const length of [1024, 4097, 1 << 20]) {
      const f32 = alignedF32(length);
      expect(f32).toBeInstanceOf(Float32Array);
      expect(f32.length).toBe(length);
      expect(f32.every((v) => v === 0)).toBe(true);
      expect(startsALine(f32)).toBe(true);
      // Writing the last element stays inside the array's own bytes.
      f32[length - 1] = 7;
      expect(new Float32Array(f32.buffer, f32.byteOffset + (length - 1) * 4, 1)[0]).toBe(7);
      const u16 = alignedArray(Uint16Array, 2 * length);
      expect(u16).toBeInstanceOf(Uint16Array);
      expect(u16.length).toBe(2 * length);
      expect(startsALine(u16)).toBe(true);
    }
    // Below a page: the array V8 makes, whatever its place.
    const small = alignedF32(1000);
    expect(small.byteOffset).toBe(0);
    expect(small.buffer.byteLength).toBe(4000);
  });

  it('are what the tensor pool, the optimizer and a safetensors file hand out', () => {
    useBackend(backend);
    expect(startsALine(emptyF32(300_001))).toBe(true);
    expect(startsALine(zerosF32(4099))).toBe(true);

    const weight = new Tensor(alignedF32(2048).fill(0.5), [32, 64]).requiresGrad_();
    weight.grad = new Tensor(alignedF32(2048).fill(0.1), [32, 64]);
    const optimizer = new AdamW([weight], { lr: 0.1 });
    optimizer.step();
    const moments = (optimizer as unknown as { state: Map<Tensor, Record<string, Float32Array>> }).state.get(
      weight,
    )!;
    expect(startsALine(moments.exp_avg)).toBe(true);
    expect(startsALine(moments.exp_avg_sq)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'aligned-'));
    try {
      const values = Float32Array.from({ length: 3000 }, (_, i) => i / 7);
      writeSafetensors(join(dir, 'w.safetensors'), new Map([['w', new Tensor(values, [30, 100])]]));
      const read = openSafetensors(join(dir, 'w.safetensors'));
      const data = read.read('w').data as Float32Array;
      read.close();
      expect(startsALine(data)).toBe(true);
      expect(data).toEqual(values);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
