// Elementwise ops with NumPy broadcasting, each beside its gradient.
import { kernels } from '../../backend/index.js';
import type { BinaryOp, UnaryOp } from '../../backend/kernels.js';
import { record } from '../autograd.js';
import { scalar } from '../creation.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../shape.js';
import { Tensor, type TensorLike, type TypedData } from '../tensor.js';
import { sumTo } from './reduce.js';
import { emptyF32 } from '../storage.js';

export function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? scalar(x) : x;
}

// The scalar tensors made for number operands: only the op's backward reads them (autograd gives
// them back after it when it recycles).
export function madeFor(operands: TensorLike[], tensors: Tensor[]): TypedData[] {
  return tensors.filter((_, i) => typeof operands[i] === 'number').map((t) => t.data);
}

// The raw broadcasting binary kernel, without autograd.
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = emptyF32(sizeOf(shape));
  kernels().binary(
    op,
    a.f32(op),
    broadcastStrides(a.shape, shape),
    b.f32(op),
    broadcastStrides(b.shape, shape),
    out,
    shape,
  );
  return new Tensor(out, shape);
}

function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  const out = emptyF32(x.size);
  kernels().unary(op, x.f32(op), out);
  return new Tensor(out, x.shape);
}

// x * alpha + beta in one pass (no autograd).
export function affineRaw(x: Tensor, alpha: number, beta = 0): Tensor {
  const out = emptyF32(x.size);
  kernels().affine(x.f32('affine'), alpha, beta, out);
  return new Tensor(out, x.shape);
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  return record(
    binaryRaw('add', x, y),
    'add',
    [x, y],
    (g) => [sumTo(g, x.shape), sumTo(g, y.shape)],
    madeFor([a, b], [x, y]),
  );
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  return record(
    binaryRaw('sub', x, y),
    'sub',
    [x, y],
    (g) => [sumTo(g, x.shape), sumTo(affineRaw(g, -1), y.shape)],
    madeFor([a, b], [x, y]),
  );
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  return record(
    binaryRaw('mul', x, y),
    'mul',
    [x, y],
    (g) => [
      x.requiresGrad ? sumTo(binaryRaw('mul', g, y), x.shape) : null,
      y.requiresGrad ? sumTo(binaryRaw('mul', g, x), y.shape) : null,
    ],
    madeFor([a, b], [x, y]),
  );
}

export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryRaw('div', x, y);
  return record(
    out,
    'div',
    [x, y],
    (g) => {
      const gx = binaryRaw('div', g, y);
      // d(x/y)/dy = -(x/y)/y
      return [
        x.requiresGrad ? sumTo(gx, x.shape) : null,
        y.requiresGrad ? sumTo(affineRaw(binaryRaw('mul', gx, out), -1), y.shape) : null,
      ];
    },
    madeFor([a, b], [x, y]),
  );
}

export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryRaw('pow', x, y);
  return record(
    out,
    'pow',
    [x, y],
    (g) => {
      // d/dx x^y = y * x^(y-1); d/dy x^y = x^y * log(x)
      const gx = x.requiresGrad
        ? sumTo(
            binaryRaw('mul', g, binaryRaw('mul', y, binaryRaw('pow', x, binaryRaw('sub', y, scalar(1))))),
            x.shape,
          )
        : null;
      const gy = y.requiresGrad
        ? sumTo(binaryRaw('mul', g, binaryRaw('mul', out, unaryRaw('log', x))), y.shape)
        : null;
      return [gx, gy];
    },
    madeFor([a, b], [x, y]),
  );
}

export function neg(x: Tensor): Tensor {
  return record(unaryRaw('neg', x), 'neg', [x], (g) => [affineRaw(g, -1)]);
}

export function exp(x: Tensor): Tensor {
  const out = unaryRaw('exp', x);
  return record(out, 'exp', [x], (g) => [binaryRaw('mul', g, out)]);
}

export function log(x: Tensor): Tensor {
  return record(unaryRaw('log', x), 'log', [x], (g) => [binaryRaw('div', g, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const out = unaryRaw('sqrt', x);
  return record(out, 'sqrt', [x], (g) => [affineRaw(binaryRaw('div', g, out), 0.5)]);
}

export function rsqrt(x: Tensor): Tensor {
  const out = unaryRaw('rsqrt', x);
  // d/dx x^(-1/2) = -1/2 * out^3
  return record(out, 'rsqrt', [x], (g) => [
    affineRaw(binaryRaw('mul', g, binaryRaw('mul', out, binaryRaw('mul', out, out))), -0.5),
  ]);
}

export function tanh(x: Tensor): Tensor {
  const out = unaryRaw('tanh', x);
  return record(out, 'tanh', [x], (g) => [binaryRaw('mul', g, affineRaw(binaryRaw('mul', out, out), -1, 1))]);
}

export function relu(x: Tensor): Tensor {
  return record(unaryRaw('relu', x), 'relu', [x], (g) => [
    binaryRaw('mul', g, binaryRaw('gt', x, scalar(0))),
  ]);
}

// GELU with the tanh approximation, as GPT-2 and the book use.
export function gelu(x: Tensor): Tensor {
  return record(unaryRaw('gelu', x), 'gelu', [x], (g) => {
    const dx = emptyF32(x.size);
    kernels().geluBackward(x.f32(), g.f32(), dx);
    return [new Tensor(dx, x.shape)];
  });
}

// SiLU (swish), x * sigmoid(x): the gate of the SwiGLU feed-forward (Llama, Qwen).
// d/dx = s * (1 + x * (1 - s)) with s = sigmoid(x), written with raw kernels so it runs anywhere.
export function silu(x: Tensor): Tensor {
  return record(unaryRaw('silu', x), 'silu', [x], (g) => {
    const s = binaryRaw('div', scalar(1), affineRaw(unaryRaw('exp', unaryRaw('neg', x)), 1, 1));
    const slope = binaryRaw('mul', s, affineRaw(binaryRaw('mul', x, affineRaw(s, -1, 1)), 1, 1));
    return [binaryRaw('mul', g, slope)];
  });
}

export function abs(x: Tensor): Tensor {
  return record(unaryRaw('abs', x), 'abs', [x], (g) => [binaryRaw('mul', g, unaryRaw('sign', x))]);
}

export function square(x: Tensor): Tensor {
  return mul(x, x);
}

function compare(op: 'eq' | 'gt' | 'ge' | 'lt') {
  return (a: TensorLike, b: TensorLike): Tensor => binaryRaw(op, asTensor(a), asTensor(b));
}

// Comparisons give 1 or 0 as float32 and are not differentiable.
export const eq = compare('eq');
export const gt = compare('gt');
export const ge = compare('ge');
export const lt = compare('lt');

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryRaw('maximum', x, y);
  return record(out, 'maximum', [x, y], (g) => {
    const takeX = binaryRaw('ge', x, y);
    return [
      sumTo(binaryRaw('mul', g, takeX), x.shape),
      sumTo(binaryRaw('mul', g, affineRaw(takeX, -1, 1)), y.shape),
    ];
  });
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [asTensor(a), asTensor(b)];
  const out = binaryRaw('minimum', x, y);
  return record(out, 'minimum', [x, y], (g) => {
    const takeX = binaryRaw('ge', y, x);
    return [
      sumTo(binaryRaw('mul', g, takeX), x.shape),
      sumTo(binaryRaw('mul', g, affineRaw(takeX, -1, 1)), y.shape),
    ];
  });
}

// x * alpha + beta, differentiable (scaling by a constant without a broadcast kernel).
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  return record(affineRaw(x, alpha, beta), 'affine', [x], (g) => [affineRaw(g, alpha)]);
}
