// Elementwise kernels of the reference backend: unary maps, strided broadcasting binaries,
// where, affine, fill and strided copies.
import type { BinaryOp, Buffer32, F32, UnaryOp } from '../kernels.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  relu: (x) => (x > 0 ? x : 0),
  gelu,
  abs: Math.abs,
  sign: Math.sign,
  silu: (x) => x / (1 + Math.exp(-x)),
};

export function unary(op: UnaryOp, x: F32, out: F32): void {
  // One loop per op keeps the hot loop free of a per-element dynamic call for the common ones.
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0;
      return;
    default: {
      const f = unaryFns[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]);
    }
  }
}

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
};

function isContiguous(strides: readonly number[], shape: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

// Calls inner(aBase, bBase, outBase, count) for each run of the last axis, walking the outer
// axes as an odometer. The per-run callback keeps the innermost loop tight.
function forEachRow(
  shape: readonly number[],
  stridesList: (readonly number[])[],
  inner: (bases: number[], outBase: number, count: number) => void,
): void {
  const rank = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const last = rank === 0 ? 1 : shape[rank - 1];
  const rows = total / last;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  const bases = stridesList.map(() => 0);
  for (let row = 0; row < rows; row++) {
    inner(bases, row * last, last);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      for (let s = 0; s < stridesList.length; s++) bases[s] += stridesList[s][d];
      if (index[d] < shape[d]) break;
      for (let s = 0; s < stridesList.length; s++) bases[s] -= stridesList[s][d] * shape[d];
      index[d] = 0;
    }
  }
}

export function binary(
  op: BinaryOp,
  a: F32,
  aStrides: readonly number[],
  b: F32,
  bStrides: readonly number[],
  out: F32,
  shape: readonly number[],
): void {
  const n = out.length;
  const aFull = isContiguous(aStrides, shape);
  const bFull = isContiguous(bStrides, shape);
  if (aFull && bFull) {
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
        return;
      case 'sub':
        for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
        return;
      case 'mul':
        for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
        return;
      case 'div':
        for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
        return;
      default: {
        const f = binaryFns[op];
        for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
        return;
      }
    }
  }
  const rank = shape.length;
  const aStep = rank === 0 ? 0 : aStrides[rank - 1];
  const bStep = rank === 0 ? 0 : bStrides[rank - 1];
  const f = binaryFns[op];
  forEachRow(shape, [aStrides, bStrides], (bases, o, count) => {
    let ia = bases[0];
    let ib = bases[1];
    if (op === 'add') {
      for (let j = 0; j < count; j++, ia += aStep, ib += bStep) out[o + j] = a[ia] + b[ib];
    } else if (op === 'mul') {
      for (let j = 0; j < count; j++, ia += aStep, ib += bStep) out[o + j] = a[ia] * b[ib];
    } else {
      for (let j = 0; j < count; j++, ia += aStep, ib += bStep) out[o + j] = f(a[ia], b[ib]);
    }
  });
}

export function where(
  cond: F32,
  condStrides: readonly number[],
  a: F32,
  aStrides: readonly number[],
  b: F32,
  bStrides: readonly number[],
  out: F32,
  shape: readonly number[],
): void {
  const rank = shape.length;
  const cStep = rank === 0 ? 0 : condStrides[rank - 1];
  const aStep = rank === 0 ? 0 : aStrides[rank - 1];
  const bStep = rank === 0 ? 0 : bStrides[rank - 1];
  forEachRow(shape, [condStrides, aStrides, bStrides], (bases, o, count) => {
    let ic = bases[0];
    let ia = bases[1];
    let ib = bases[2];
    for (let j = 0; j < count; j++, ic += cStep, ia += aStep, ib += bStep) {
      out[o + j] = cond[ic] !== 0 ? a[ia] : b[ib];
    }
  });
}

export function affine(x: F32, alpha: number, beta: number, out: F32): void {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = x[i] * alpha + beta;
}

export function fill(out: Buffer32, value: number): void {
  out.fill(value);
}

export function copyStrided(
  src: Buffer32,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: Buffer32,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOffset] = src[srcOffset];
    return;
  }
  const sStep = srcStrides[rank - 1];
  const dStep = dstStrides[rank - 1];
  const last = shape[rank - 1];
  const total = shape.reduce((p, s) => p * s, 1);
  if (total === 0) return;
  const index = new Array<number>(rank - 1).fill(0);
  let s = srcOffset;
  let d = dstOffset;
  for (let row = 0; row < total / last; row++) {
    if (sStep === 1 && dStep === 1) {
      dst.set(src.subarray(s, s + last), d);
    } else {
      for (let j = 0, si = s, di = d; j < last; j++, si += sStep, di += dStep) dst[di] = src[si];
    }
    for (let ax = rank - 2; ax >= 0; ax--) {
      index[ax]++;
      s += srcStrides[ax];
      d += dstStrides[ax];
      if (index[ax] < shape[ax]) break;
      s -= srcStrides[ax] * shape[ax];
      d -= dstStrides[ax] * shape[ax];
      index[ax] = 0;
    }
  }
}
