// Where the tensor library's buffers come from: every op output, gradient and temporary is made
// here, so that a training step can give its buffers back and the next step take them again
// instead of asking V8 for fresh zero-filled memory (and the collector for a pass over it).
//
// A buffer given back (release) goes to a free list keyed by its length; taking one of that length
// reuses it. Buffers made anywhere else (a caller's typed array, a parameter loaded from a file)
// are never pooled: release ignores them. The counters say how many arrays were really made, so a
// test can assert that a steady training step makes none.
//
// A new array of 4 MiB or more is put on 2 MiB pages where the native backend runs (as numpy does
// its arrays from the same size): the GEMM's packs read such an operand's rows far apart, a page
// walk per row on 4 KiB pages, which costs a large product 1-3% (docs/native-kernels.md). A new
// array of a page or more starts on a 64-byte line there (aligned-arrays.ts).
import { alignedF32 } from '../backend/aligned-arrays.js';
import { adviseHugePages } from '../backend/huge-pages.js';
import type { TypedData } from './tensor.js';

const HUGE_PAGES_FROM_BYTES = 4 * 1024 * 1024;

const freeByLength = new Map<number, Float32Array[]>();
// Arrays this module made (the only ones it will pool), and those waiting in a free list now.
const made = new WeakSet<Float32Array>();
const waiting = new WeakSet<Float32Array>();
// Arrays handed out and not yet wrapped by a Tensor: the first Tensor made on one owns it (views
// made later on the same array do not), so only the owner's end may give it back.
const unclaimed = new WeakSet<TypedData>();
// While a backward runs, the arrays it takes: its gradient temporaries, the only ones it may
// recycle or hand to a leaf as its .grad.
let capture: Set<Float32Array> | null = null;

let arraysMade = 0;
let bytesMade = 0;
let arraysReused = 0;

export interface AllocationStats {
  // Typed arrays made by the tensor library (new memory) and their bytes.
  arrays: number;
  bytes: number;
  // Takes served from the free lists instead.
  reused: number;
}

export function allocationStats(): AllocationStats {
  return { arrays: arraysMade, bytes: bytesMade, reused: arraysReused };
}

function count(data: TypedData): TypedData {
  arraysMade++;
  bytesMade += data.byteLength;
  return data;
}

function take(length: number, zeroed: boolean): Float32Array {
  const reused = freeByLength.get(length)?.pop();
  let data: Float32Array;
  if (reused) {
    waiting.delete(reused);
    arraysReused++;
    if (zeroed) reused.fill(0);
    data = reused;
  } else {
    data = count(alignedF32(length)) as Float32Array;
    if (data.byteLength >= HUGE_PAGES_FROM_BYTES) adviseHugePages([data]);
    made.add(data);
  }
  unclaimed.add(data);
  capture?.add(data);
  return data;
}

// What a tensor kept in bf16 only holds instead of its float32 values (bf16-weights.ts); Tensor.f32
// refuses it.
export const RELEASED = new Float32Array(0);

// A float32 buffer whose contents are unspecified: for outputs a kernel writes in full.
export function emptyF32(length: number): Float32Array {
  return take(length, false);
}

// A float32 buffer of zeros: for kernels that accumulate into their output.
export function zerosF32(length: number): Float32Array {
  return take(length, true);
}

// An int32 buffer of zeros (indices; never pooled, they are few and small).
export function zerosI32(length: number): Int32Array {
  return count(new Int32Array(length)) as Int32Array;
}

// Called by the Tensor constructor: true when this tensor is the first made on the array.
export function claim(data: TypedData): boolean {
  return unclaimed.delete(data);
}

// Gives a buffer back for reuse. Ignored for arrays made elsewhere and for one already given back,
// so a tensor listed twice (tied weights) cannot put its buffer in the list twice.
export function release(data: TypedData): void {
  if (!(data instanceof Float32Array) || !made.has(data) || waiting.has(data)) return;
  unclaimed.delete(data);
  waiting.add(data);
  const list = freeByLength.get(data.length);
  if (list) list.push(data);
  else freeByLength.set(data.length, [data]);
}

// Runs fn adding every float32 array it takes to `taken`.
export function capturing<T>(taken: Set<Float32Array>, fn: () => T): T {
  const previous = capture;
  capture = taken;
  try {
    return fn();
  } finally {
    capture = previous;
  }
}
