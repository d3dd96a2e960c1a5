// Typed arrays whose first element starts a 64-byte cache line where the native backend runs.
// V8 takes a large array's memory from malloc, which places it 16 bytes past a page boundary, so
// every 64-byte vector load and store of a streaming kernel straddles two lines: AdamW ran at 73
// GB/s instead of 104 on a Zen 5 at 2 threads (docs/native-kernels.md). Such an array is a view
// up to 60 bytes into a slightly larger buffer; the code that reads a tensor's bytes honours
// byteOffset throughout.
import { nativeInUse } from './index.js';

const LINE_BYTES = 64;
// Smaller arrays are left as V8 makes them: a kernel over a few lines gains nothing measurable.
const ALIGN_FROM_BYTES = 4096;

interface AlignableArray<T> {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

// A new zero-filled array of `length` elements, 64-byte aligned on the native backend when it is
// at least a page long.
export function alignedArray<T extends Float32Array | Uint16Array>(
  type: AlignableArray<T>,
  length: number,
): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  const native = bytes >= ALIGN_FROM_BYTES ? nativeInUse() : null;
  if (!native) return new type(length);
  const buffer = new ArrayBuffer(bytes + LINE_BYTES - type.BYTES_PER_ELEMENT);
  const skip = (LINE_BYTES - native.misalignment(new Uint8Array(buffer, 0, 1))) % LINE_BYTES;
  return new type(buffer, skip % type.BYTES_PER_ELEMENT === 0 ? skip : 0, length);
}

export function alignedF32(length: number): Float32Array {
  return alignedArray(Float32Array, length);
}
