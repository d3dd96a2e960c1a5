// Matrix products with batch dimensions and transposed operands. A product whose right operand
// is a plain matrix runs as one large GEMM over all leading rows (the Linear-layer case), and both
// gradients use the kernel's transpose flags, so no transpose is ever copied.
import { record } from '../autograd.js';
import { matrixProduct } from '../precision.js';
import { broadcastShapes, formatShape, sameShape, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';
import { broadcastToRaw } from './shape.js';
import { emptyF32, zerosF32 } from '../storage.js';

export interface MatmulOptions {
  // Use the last two axes of a (or b) transposed.
  transA?: boolean;
  transB?: boolean;
}

interface Gemm {
  a: Tensor;
  b: Tensor;
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  accumulate?: Float32Array;
}

function gemm(p: Gemm): Float32Array {
  const c = p.accumulate ?? (p.k === 0 ? zerosF32 : emptyF32)(p.batch * p.m * p.n);
  const params = {
    a: p.a.f32('matmul'),
    b: p.b.f32('matmul'),
    c,
    batch: p.batch,
    m: p.m,
    k: p.k,
    n: p.n,
    transA: p.transA,
    transB: p.transB,
    strideA: p.strideA,
    strideB: p.strideB,
    strideC: p.m * p.n,
    accumulate: p.accumulate !== undefined,
  };
  matrixProduct(params);
  return c;
}

function mismatch(a: Tensor, b: Tensor): Error {
  return new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} are not aligned`);
}

export function matmul(aIn: Tensor, bIn: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  // Vectors become matrices and their axis is dropped from the result, as in torch.matmul.
  const a = aIn.ndim === 1 ? aIn.reshapeRaw(transA ? [aIn.size, 1] : [1, aIn.size]) : aIn;
  const b = bIn.ndim === 1 ? bIn.reshapeRaw(transB ? [1, bIn.size] : [bIn.size, 1]) : bIn;
  if (a.ndim < 1 || b.ndim < 1 || aIn.ndim === 0 || bIn.ndim === 0) throw mismatch(aIn, bIn);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (k !== kb) throw mismatch(aIn, bIn);
  const dropM = aIn.ndim === 1;
  const dropN = bIn.ndim === 1;

  let out: Tensor;
  let backward: (g: Tensor) => (Tensor | null)[];
  if (b.ndim === 2 && !transA) {
    // One GEMM over every leading row of a: (rows, k) @ (k, n).
    const rows = sizeOf(a.shape) / k;
    const lead = a.shape.slice(0, -1);
    out = new Tensor(gemm({ a, b, batch: 1, m: rows, k, n, transA: false, transB, strideA: 0, strideB: 0 }), [
      ...lead,
      n,
    ]);
    backward = (g) => [
      // dA = G @ op(B)^T
      aIn.requiresGrad
        ? new Tensor(
            gemm({
              a: g,
              b,
              batch: 1,
              m: rows,
              k: n,
              n: k,
              transA: false,
              transB: !transB,
              strideA: 0,
              strideB: 0,
            }),
            aIn.shape,
          )
        : null,
      // dB = A^T @ G, or (G^T @ A) when B was used transposed
      bIn.requiresGrad
        ? new Tensor(
            transB
              ? gemm({
                  a: g,
                  b: a,
                  batch: 1,
                  m: n,
                  k: rows,
                  n: k,
                  transA: true,
                  transB: false,
                  strideA: 0,
                  strideB: 0,
                })
              : gemm({
                  a,
                  b: g,
                  batch: 1,
                  m: k,
                  k: rows,
                  n,
                  transA: true,
                  transB: false,
                  strideA: 0,
                  strideB: 0,
                }),
            bIn.shape,
          )
        : null,
    ];
  } else {
    const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batch = sizeOf(batchShape);
    const aFull = broadcastToRaw(a, [...batchShape, ...a.shape.slice(-2)]);
    const bFull = broadcastToRaw(b, [...batchShape, ...b.shape.slice(-2)]);
    const strideA = batchShape.length === 0 ? 0 : ar * ac;
    const strideB = batchShape.length === 0 ? 0 : br * bc;
    out = new Tensor(gemm({ a: aFull, b: bFull, batch, m, k, n, transA, transB, strideA, strideB }), [
      ...batchShape,
      m,
      n,
    ]);
    backward = (g) => {
      const gb = { batch, strideA: m * n, strideB: 0 };
      // dA: (G @ op(B)^T), or its transpose (op(B) @ G^T) when A was used transposed.
      const dA = aIn.requiresGrad
        ? transA
          ? gemm({
              ...gb,
              a: bFull,
              b: g,
              m: k,
              k: n,
              n: m,
              transA: transB,
              transB: true,
              strideA: strideB,
              strideB: m * n,
            })
          : gemm({ ...gb, a: g, b: bFull, m, k: n, n: k, transA: false, transB: !transB, strideB })
        : null;
      const dB = bIn.requiresGrad
        ? transB
          ? gemm({ ...gb, a: g, b: aFull, m: n, k: m, n: k, transA: true, transB: transA, strideB: strideA })
          : gemm({
              ...gb,
              a: aFull,
              b: g,
              m: k,
              k: m,
              n,
              transA: !transA,
              transB: false,
              strideA,
              strideB: m * n,
            })
        : null;
      return [
        dA ? sumTo(new Tensor(dA, aFull.shape), a.shape).reshapeRaw(aIn.shape) : null,
        dB ? sumTo(new Tensor(dB, bFull.shape), b.shape).reshapeRaw(bIn.shape) : null,
      ];
    };
  }
  let shape = out.shape;
  if (dropM) shape = shape.filter((_, i) => i !== shape.length - 2);
  if (dropN) shape = shape.slice(0, -1);
  const result = sameShape(shape, out.shape) ? out : out.reshapeRaw(shape);
  return record(result, 'matmul', [aIn, bIn], (g) => backward(g.reshapeRaw(out.shape)));
}
