// Reductions over any set of axes, with keepdim, and sumTo (the gradient of broadcasting).
import { kernels } from '../../backend/index.js';
import type { ReduceOp } from '../../backend/kernels.js';
import { record } from '../autograd.js';
import { normalizeAxes, sameShape, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { affineRaw, binaryRaw } from './elementwise.js';
import { broadcastTo, permuteRaw } from './shape.js';
import { emptyF32, zerosI32 } from '../storage.js';

export interface ReduceOptions {
  keepdim?: boolean;
}

function keptShape(shape: Shape, axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(shape: Shape, axes: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

// Brings the reduced axes together as the middle of an (outer, size, inner) view; moves them to
// the end (one copy) when they are not adjacent.
function asOuterSizeInner(
  x: Tensor,
  axes: number[],
): { data: Float32Array; outer: number; size: number; inner: number } {
  const contiguousRun = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (axes.length === 0) return { data: x.f32(), outer: x.size, size: 1, inner: 1 };
  if (contiguousRun) {
    return {
      data: x.f32(),
      outer: sizeOf(x.shape.slice(0, axes[0])),
      size: sizeOf(axes.map((a) => x.shape[a])),
      inner: sizeOf(x.shape.slice(axes[axes.length - 1] + 1)),
    };
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const moved = permuteRaw(x, [...kept, ...axes]);
  return {
    data: moved.f32(),
    outer: sizeOf(kept.map((a) => x.shape[a])),
    size: sizeOf(axes.map((a) => x.shape[a])),
    inner: 1,
  };
}

export function reduceRaw(op: ReduceOp, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  const { data, outer, size, inner } = asOuterSizeInner(x, axes);
  if (size === 0 && op !== 'sum') throw new Error(`${op}: cannot reduce over an empty axis`);
  const out = emptyF32(outer * inner);
  kernels().reduce(op, data, outer, size, inner, out);
  return new Tensor(out, finalShape(x.shape, axes, keepdim));
}

export function sum(x: Tensor, axes?: number | number[], options: ReduceOptions = {}): Tensor {
  const ax = normalizeAxes('sum', axes, x.ndim);
  const out = reduceRaw('sum', x, ax, options.keepdim ?? false);
  return record(out, 'sum', [x], (g) => [broadcastTo(g.reshapeRaw(keptShape(x.shape, ax)), x.shape)]);
}

export function mean(x: Tensor, axes?: number | number[], options: ReduceOptions = {}): Tensor {
  const ax = normalizeAxes('mean', axes, x.ndim);
  const count = sizeOf(ax.map((a) => x.shape[a]));
  const out = affineRaw(reduceRaw('sum', x, ax, options.keepdim ?? false), 1 / count);
  return record(out, 'mean', [x], (g) => [
    broadcastTo(affineRaw(g, 1 / count).reshapeRaw(keptShape(x.shape, ax)), x.shape),
  ]);
}

function extremum(op: 'max' | 'min') {
  return (x: Tensor, axes?: number | number[], options: ReduceOptions = {}): Tensor => {
    const ax = normalizeAxes(op, axes, x.ndim);
    const out = reduceRaw(op, x, ax, options.keepdim ?? false);
    return record(out, op, [x], (g) => {
      // The gradient is shared evenly among tied extrema (as torch.amax does).
      const kept = keptShape(x.shape, ax);
      const hit = binaryRaw('eq', x, out.reshapeRaw(kept));
      const ties = reduceRaw('sum', hit, ax, true);
      return [binaryRaw('mul', hit, binaryRaw('div', g.reshapeRaw(kept), ties))];
    });
  };
}

export const max = extremum('max');
export const min = extremum('min');

function argExtremum(op: 'argmax' | 'argmin') {
  return (x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor => {
    if (axis === undefined) {
      const flat = x.reshapeRaw([x.size]);
      return argExtremum(op)(flat, 0);
    }
    const [ax] = normalizeAxes(op, axis, x.ndim);
    const { data, outer, size, inner } = asOuterSizeInner(x, [ax]);
    if (size === 0) throw new Error(`${op}: cannot reduce over an empty axis`);
    const out = zerosI32(outer * inner);
    kernels().argReduce(op, data, outer, size, inner, out);
    return new Tensor(out, finalShape(x.shape, [ax], options.keepdim ?? false));
  };
}

export const argmax = argExtremum('argmax');
export const argmin = argExtremum('argmin');

// Variance with Bessel's correction by default (correction 1, as torch.var); the book's LayerNorm
// uses correction 0.
export function variance(
  x: Tensor,
  axes?: number | number[],
  options: ReduceOptions & { correction?: number } = {},
): Tensor {
  const ax = normalizeAxes('var', axes, x.ndim);
  const count = sizeOf(ax.map((a) => x.shape[a]));
  const centered = x.sub(mean(x, ax, { keepdim: true }));
  return centered
    .mul(centered)
    .sum(ax, { keepdim: options.keepdim ?? false })
    .div(Math.max(count - (options.correction ?? 1), 0));
}

// Sums a broadcast gradient back down to the shape of the input that was broadcast.
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reduceRaw('sum', g, axes, true).reshapeRaw(shape);
}
