// Shape ops: views that share the buffer (reshape, squeeze, unsqueeze) and copies through strides
// (transpose, permute, narrow, expand, concat, stack, split, chunk), each with its gradient.
import { kernels } from '../../backend/index.js';
import { isGradEnabled, record } from '../autograd.js';
import {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  formatShape,
  normalizeAxis,
  resolveShape,
  sameShape,
  sizeOf,
  type Shape,
} from '../shape.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';
import { emptyF32, zerosF32, zerosI32 } from '../storage.js';

function allocateLike(x: Tensor, size: number): Float32Array | Int32Array {
  return x.dtype === 'int32' ? zerosI32(size) : emptyF32(size);
}

export function reshape(x: Tensor, shape: Shape): Tensor {
  const out = new Tensor(x.data, resolveShape('reshape', x.shape, shape));
  return record(out, 'reshape', [x], (g) => [g.reshapeRaw(x.shape)]);
}

export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startAxis, x.ndim);
  const e = normalizeAxis('flatten', endAxis, x.ndim);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normalizeAxis('squeeze', axis, x.ndim);
  return x.shape[a] === 1
    ? reshape(
        x,
        x.shape.filter((_, i) => i !== a),
      )
    : x;
}

export function permuteRaw(x: Tensor, perm: readonly number[]): Tensor {
  const strides = contiguousStrides(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const out = allocateLike(x, x.size);
  kernels().copyStrided(
    x.data,
    0,
    perm.map((p) => strides[p]),
    out,
    0,
    contiguousStrides(shape),
    shape,
  );
  return new Tensor(out, shape);
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const axes = perm.map((p) => normalizeAxis('permute', p, x.ndim));
  if (axes.length !== x.ndim || new Set(axes).size !== x.ndim) {
    throw new Error(
      `permute: [${perm.join(', ')}] is not a permutation of the axes of shape ${formatShape(x.shape)}`,
    );
  }
  const inverse = new Array<number>(axes.length);
  axes.forEach((p, i) => (inverse[p] = i));
  // Moving only axes of size 1 (a decode step's (B, 1, nh, hs) to (B, nh, 1, hs)) leaves the
  // elements in place: with gradients off (inference) the result shares x's buffer instead of a
  // copy. Not while recording: a recycling backward gives saved buffers back to the pool.
  const moved = axes.filter((a) => x.shape[a] > 1);
  if (!isGradEnabled() && moved.every((a, i) => i === 0 || moved[i - 1] < a))
    return new Tensor(
      x.data,
      axes.map((a) => x.shape[a]),
    );
  return record(permuteRaw(x, axes), 'permute', [x], (g) => [permuteRaw(g, inverse)]);
}

export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const a = normalizeAxis('transpose', axis0, x.ndim);
  const b = normalizeAxis('transpose', axis1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

// Copies x into a (zeroed or given) buffer of `shape` at position `start` along `axis`.
function placeInto(
  x: Tensor,
  out: Float32Array | Int32Array,
  shape: Shape,
  axis: number,
  start: number,
): void {
  const strides = contiguousStrides(shape);
  kernels().copyStrided(x.data, 0, contiguousStrides(x.shape), out, start * strides[axis], strides, x.shape);
}

export function narrowRaw(x: Tensor, axis: number, start: number, length: number): Tensor {
  const shape = [...x.shape];
  shape[axis] = length;
  const out = allocateLike(x, sizeOf(shape));
  const strides = contiguousStrides(x.shape);
  kernels().copyStrided(x.data, start * strides[axis], strides, out, 0, contiguousStrides(shape), shape);
  return new Tensor(out, shape);
}

// The slice [start, start + length) along an axis (torch.narrow).
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, x.ndim);
  const s = start < 0 ? start + x.shape[a] : start;
  if (!Number.isInteger(s) || s < 0 || length < 0 || s + length > x.shape[a]) {
    throw new Error(
      `narrow: range [${start}, ${start + length}) is out of bounds for axis ${axis} of size ${x.shape[a]} (shape ${formatShape(x.shape)})`,
    );
  }
  if (s === 0 && length === x.shape[a]) return x;
  return record(narrowRaw(x, a, s, length), 'narrow', [x], (g) => {
    const dx = zerosF32(x.size);
    placeInto(g, dx, x.shape, a, s);
    return [new Tensor(dx, x.shape)];
  });
}

// Python-style slice along one axis: slice(x, axis, start, end), negative indices from the end.
export function slice(x: Tensor, axis: number, start = 0, end?: number): Tensor {
  const a = normalizeAxis('slice', axis, x.ndim);
  const n = x.shape[a];
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = clamp(start);
  const e = clamp(end ?? n);
  return narrow(x, a, s, Math.max(e - s, 0));
}

export function broadcastToRaw(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes('expand', x.shape, shape);
  if (!sameShape(target, shape)) {
    throw new Error(`expand: shape ${formatShape(x.shape)} cannot be expanded to ${formatShape(shape)}`);
  }
  if (sameShape(x.shape, shape)) return x;
  const out = allocateLike(x, sizeOf(shape));
  kernels().copyStrided(x.data, 0, broadcastStrides(x.shape, shape), out, 0, contiguousStrides(shape), shape);
  return new Tensor(out, shape);
}

// Materialises x broadcast to `shape` (torch.expand, as a copy).
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const out = broadcastToRaw(x, shape);
  return out === x ? x : record(out, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

// Each slice along `axis` repeated `repeats` times in place (torch.repeat_interleave): how
// grouped-query attention gives each query head its shared key/value head. The gradient of the
// copy sums the repeats back.
export function repeatInterleave(x: Tensor, repeats: number, axis: number): Tensor {
  const a = normalizeAxis('repeatInterleave', axis, x.ndim);
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`repeatInterleave: repeats must be a positive integer, got ${repeats}`);
  if (repeats === 1) return x;
  const spread = [...x.shape.slice(0, a + 1), repeats, ...x.shape.slice(a + 1)];
  const shape = [...x.shape];
  shape[a] *= repeats;
  return reshape(broadcastTo(unsqueeze(x, a + 1), spread), shape);
}

export function concat(tensors: Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: expects at least one tensor');
  const first = tensors[0];
  const a = normalizeAxis('concat', axis, first.ndim);
  for (const t of tensors) {
    const ok =
      t.ndim === first.ndim &&
      t.dtype === first.dtype &&
      t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) {
      throw new Error(
        `concat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside axis ${axis}`,
      );
    }
  }
  const shape = [...first.shape];
  shape[a] = tensors.reduce((s, t) => s + t.shape[a], 0);
  const out = allocateLike(first, sizeOf(shape));
  const starts: number[] = [];
  let at = 0;
  for (const t of tensors) {
    starts.push(at);
    placeInto(t, out, shape, a, at);
    at += t.shape[a];
  }
  return record(new Tensor(out, shape), 'concat', tensors, (g) =>
    tensors.map((t, i) => (t.requiresGrad ? narrowRaw(g, a, starts[i], t.shape[a]) : null)),
  );
}

export function stack(tensors: Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: expects at least one tensor');
  const a = normalizeAxis('stack', axis, tensors[0].ndim + 1);
  for (const t of tensors) {
    if (!sameShape(t.shape, tensors[0].shape)) {
      throw new Error(`stack: shapes ${formatShape(tensors[0].shape)} and ${formatShape(t.shape)} differ`);
    }
  }
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

// split(x, 2, axis): pieces of size 2 (the last may be smaller); split(x, [1, 3], axis): given sizes.
export function split(x: Tensor, sizes: number | number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.ndim);
  const n = x.shape[a];
  let list: number[];
  if (typeof sizes === 'number') {
    if (!(sizes > 0)) throw new Error(`split: the piece size must be positive, got ${sizes}`);
    list = [];
    for (let s = 0; s < n; s += sizes) list.push(Math.min(sizes, n - s));
  } else {
    list = sizes;
    const total = list.reduce((p, q) => p + q, 0);
    if (total !== n)
      throw new Error(`split: sizes [${list.join(', ')}] sum to ${total}, but axis ${axis} has size ${n}`);
  }
  let at = 0;
  return list.map((len) => {
    const piece = narrow(x, a, at, len);
    at += len;
    return piece;
  });
}

// chunk(x, n, axis): n pieces of equal size (the last may be smaller), as torch.chunk.
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  const a = normalizeAxis('chunk', axis, x.ndim);
  return split(x, Math.ceil(x.shape[a] / chunks), a);
}
