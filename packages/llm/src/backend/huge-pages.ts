// Every decode step streams every weight matrix, and on 4 KiB pages such a stream walks the page
// tables every 4 KiB: the native backend asks for 2 MiB pages under them (LLM_SCRATCH_HUGEPAGES=0
// leaves them on whatever pages they have, to compare).
import { alignedArray } from './aligned-arrays.js';
import { nativeInUse } from './index.js';

// Asks for 2 MiB pages under these arrays; returns the share of their bytes on them (0 on the
// TypeScript backend).
export function adviseHugePages(arrays: readonly (Float32Array | Uint16Array)[]): number {
  const native = nativeInUse();
  if (!native || process.env.LLM_SCRATCH_HUGEPAGES === '0') return 0;
  const total = arrays.reduce((s, a) => s + a.byteLength, 0);
  return total ? arrays.reduce((s, a) => s + native.adviseHugePages(a), 0) / total : 0;
}

// A new float32 array of zeros that the native backend asks 2 MiB pages for before anything is
// written to it, so that the kernel maps them as it is first written (the KV cache, which attention
// streams every step: on 4 KiB pages its four streams a head walk the page tables every 4 KiB). Its
// pages become huge only where whole 2 MiB pages fall inside the allocation: one array for many
// buffers (KVCache) gets nearly all of them. Small arrays are left alone.
export function hugePageF32(length: number): Float32Array {
  const array = alignedArray(Float32Array, length);
  if (array.byteLength >= HUGE_PAGE_BYTES) adviseHugePages([array]);
  return array;
}

const HUGE_PAGE_BYTES = 2 * 1024 * 1024;

// bf16 arrays of these lengths, side by side in one new buffer in the order given (the order
// they are streamed), each from its own 64-byte line: the 2 MiB pages asked for under them then
// fall inside the buffer, where a matrix of its own (1.2 MB for 768 x 768) mostly could not get one.
export function bf16Arena(lengths: readonly number[]): Uint16Array[] {
  const padded = (n: number) => Math.ceil(n / 32) * 32;
  const buffer = alignedArray(
    Uint16Array,
    lengths.reduce((sum, n) => sum + padded(n), 0),
  );
  let offset = 0;
  return lengths.map((n) => {
    const slice = buffer.subarray(offset, offset + n);
    offset += padded(n);
    return slice;
  });
}
