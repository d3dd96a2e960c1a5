// Making tensors: from nested arrays or typed arrays, constants, ranges and seeded random values.
import { globalRng, type Rng } from './random.js';
import { formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type DType, type NestedArray, type TypedData } from './tensor.js';
import { emptyF32, zerosF32, zerosI32 } from './storage.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function allocate(size: number, dtype: DType): TypedData {
  return dtype === 'int32' ? zerosI32(size) : zerosF32(size);
}

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

function inferShape(value: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

// tensor([[1, 2], [3, 4]]) or tensor(float32Array, { shape: [2, 2] }).
export function tensor(
  value: NestedArray | TypedData,
  options: CreateOptions & { shape?: Shape } = {},
): Tensor {
  if (ArrayBuffer.isView(value)) {
    const t = new Tensor(value, options.shape ?? [value.length]);
    return finish(t, options);
  }
  const shape = options.shape ? [...options.shape] : inferShape(value);
  const data = allocate(sizeOf(shape), options.dtype ?? 'float32');
  let i = 0;
  const walk = (v: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number')
        throw new Error(`tensor: ragged nested array, expected shape ${formatShape(shape)}`);
      data[i++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new Error(`tensor: ragged nested array, expected shape ${formatShape(shape)}`);
    }
    for (const x of v) walk(x, dim + 1);
  };
  walk(value, 0);
  return finish(new Tensor(data, shape), options);
}

export function scalar(value: number): Tensor {
  return new Tensor(emptyF32(1).fill(value), []);
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  const data = allocate(sizeOf(shape), options.dtype ?? 'float32');
  if (value !== 0) data.fill(value);
  return finish(new Tensor(data, shape), options);
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype });
}

// arange(end), arange(start, end) or arange(start, end, step), like torch.arange.
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange: step must not be zero');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(n, options.dtype ?? 'float32');
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return finish(new Tensor(data, [n]), options);
}

export interface RandomOptions extends CreateOptions {
  rng?: Rng;
}

// Standard normal values.
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  const rng = options.rng ?? globalRng;
  const data = emptyF32(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return finish(new Tensor(data, shape), options);
}

// Uniform values in [low, high).
export function rand(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const rng = options.rng ?? globalRng;
  const low = options.low ?? 0;
  const span = (options.high ?? 1) - low;
  const data = emptyF32(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + span * rng.uniform();
  return finish(new Tensor(data, shape), options);
}

// Uniform integers in [low, high), int32.
export function randint(low: number, high: number, shape: Shape, options: { rng?: Rng } = {}): Tensor {
  if (!(high > low)) throw new Error(`randint: high (${high}) must be greater than low (${low})`);
  const rng = options.rng ?? globalRng;
  const data = zerosI32(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.int(low, high);
  return new Tensor(data, shape);
}
