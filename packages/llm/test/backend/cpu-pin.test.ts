import { describe, expect, it } from 'vitest';
import { parseCpuList } from '../../bench/lib/cpu-pin.js';

describe('parseCpuList (bench:gemm pins both sides of a pair to the same CPUs)', () => {
  it('reads single CPUs and ranges as the kernel writes them', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-3,8')).toEqual([0, 1, 2, 3, 8]);
    expect(parseCpuList('2,5-6')).toEqual([2, 5, 6]);
  });

  it('rejects what is not a CPU list', () => {
    expect(parseCpuList('')).toBeNull();
    expect(parseCpuList('0-')).toBeNull();
    expect(parseCpuList('a,b')).toBeNull();
  });
});
