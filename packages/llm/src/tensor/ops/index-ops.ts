// Indexing and masking: indexSelect, gather, embedding lookup, where, maskedFill, triu/tril.
import { kernels } from '../../backend/index.js';
import { widenBf16 } from '../../backend/bf16.js';
import { record } from '../autograd.js';
import { bf16Bits } from '../bf16-weights.js';
import { broadcastShapes, broadcastStrides, formatShape, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asTensor, madeFor } from './elementwise.js';
import { sumTo } from './reduce.js';
import { emptyF32, zerosF32 } from '../storage.js';

function checkIndices(op: string, idx: Int32Array, bound: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= bound) throw new RangeError(`${op}: index ${v} is out of range for size ${bound}`);
  }
}

function view3(shape: readonly number[], axis: number) {
  return { outer: sizeOf(shape.slice(0, axis)), size: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

// Rows (or slices along `axis`) picked by a 1-D int32 index: out.shape[axis] = idx.length.
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('indexSelect', axis, x.ndim);
  const idx = index.i32('indexSelect');
  const { outer, size, inner } = view3(x.shape, a);
  checkIndices('indexSelect', idx, size);
  const shape = [...x.shape];
  shape[a] = idx.length;
  const out = emptyF32(sizeOf(shape));
  kernels().indexSelect(x.f32('indexSelect'), outer, size, inner, idx, out);
  return record(new Tensor(out, shape), 'indexSelect', [x], (g) => {
    const dx = zerosF32(x.size);
    kernels().indexAdd(g.f32(), outer, size, inner, idx, dx);
    return [new Tensor(dx, x.shape)];
  });
}

// Embedding lookup: weight (V, C), ids of any shape -> (...ids.shape, C).
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (weight.ndim !== 2)
    throw new Error(`embedding: expects a 2-D weight, got shape ${formatShape(weight.shape)}`);
  const bits = bf16Bits(weight);
  if (bits) return embeddingBf16(bits, weight.shape, ids);
  const flat = indexSelect(weight, 0, ids.reshapeRaw([ids.size]));
  const out = flat.reshapeRaw([...ids.shape, weight.shape[1]]);
  return record(out, 'embedding', [flat], (g) => [g.reshapeRaw(flat.shape)]);
}

// The rows of a bf16-only table (bf16-weights.ts), widened (exactly); it has no gradient.
function embeddingBf16(bits: Uint16Array, shape: readonly number[], ids: Tensor): Tensor {
  const [V, C] = shape;
  const idx = ids.i32('embedding');
  checkIndices('embedding', idx, V);
  const out = emptyF32(idx.length * C);
  for (let i = 0; i < idx.length; i++)
    widenBf16(bits.subarray(idx[i] * C, (idx[i] + 1) * C), out.subarray(i * C, (i + 1) * C));
  return new Tensor(out, [...ids.shape, C]);
}

// torch.gather: out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis`; index has x's shape
// except along `axis`.
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('gather', axis, x.ndim);
  const idx = index.i32('gather');
  const sameOutside = index.ndim === x.ndim && index.shape.every((d, i) => i === a || d === x.shape[i]);
  if (!sameOutside) {
    throw new Error(
      `gather: index shape ${formatShape(index.shape)} must match input shape ${formatShape(x.shape)} outside axis ${axis}`,
    );
  }
  const { outer, size, inner } = view3(x.shape, a);
  checkIndices('gather', idx, size);
  const idxSize = index.shape[a];
  const out = emptyF32(idx.length);
  kernels().gather(x.f32('gather'), outer, size, inner, idx, idxSize, out);
  return record(new Tensor(out, index.shape), 'gather', [x], (g) => {
    const dx = zerosF32(x.size);
    kernels().scatterAdd(g.f32(), outer, size, inner, idx, idxSize, dx);
    return [new Tensor(dx, x.shape)];
  });
}

export function whereRaw(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const out = emptyF32(sizeOf(shape));
  kernels().where(
    cond.f32('where'),
    broadcastStrides(cond.shape, shape),
    a.f32('where'),
    broadcastStrides(a.shape, shape),
    b.f32('where'),
    broadcastStrides(b.shape, shape),
    out,
    shape,
  );
  return new Tensor(out, shape);
}

// cond != 0 ? a : b, with broadcasting; cond is a float tensor of 0/1 (as comparisons return).
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const zero = new Tensor(zerosF32(1), []);
  return record(
    whereRaw(cond, x, y),
    'where',
    [x, y],
    (g) => [
      x.requiresGrad ? sumTo(whereRaw(cond, g, zero), x.shape) : null,
      y.requiresGrad ? sumTo(whereRaw(cond, zero, g), y.shape) : null,
    ],
    [zero.data, ...madeFor([a, b], [x, y])],
  );
}

// Replaces the elements where mask != 0 by value (masked_fill).
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `maskedFill: mask shape ${formatShape(mask.shape)} does not broadcast to ${formatShape(x.shape)}`,
    );
  }
  return where(mask, value, x);
}

// The lower (tril) or upper (triu) triangle of the last two axes, zero elsewhere, as torch.
function triangle(upper: boolean) {
  return (x: Tensor, diagonal = 0): Tensor => {
    if (x.ndim < 2)
      throw new Error(`${upper ? 'triu' : 'tril'}: expects at least 2 dimensions, got ${x.ndim}`);
    const [rows, cols] = x.shape.slice(-2);
    const mask = emptyF32(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++)
        mask[i * cols + j] = (upper ? j - i >= diagonal : j - i <= diagonal) ? 1 : 0;
    }
    return where(new Tensor(mask, [rows, cols]), x, 0);
  };
}

export const tril = triangle(false);
export const triu = triangle(true);
