// The Tensor: a contiguous float32 (or int32, for token ids and indices) buffer with a shape,
// plus what autograd needs: requiresGrad, the accumulated grad, and the function that made it.
// Ops live in ./ops and are attached as methods in ./methods.ts.
import { backward, type BackwardOptions, type GradFn } from './autograd.js';
import { formatShape, resolveShape, sizeOf, type Shape } from './shape.js';
import { bf16OnlyError } from './bf16-weights.js';
import { claim, emptyF32, RELEASED } from './storage.js';

export type DType = 'float32' | 'int32';
export type TypedData = Float32Array | Int32Array;
export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly shape: number[];
  readonly dtype: DType;
  data: TypedData;
  requiresGrad = false;
  grad: Tensor | null = null;
  // Set on tensors made by a differentiable op while gradients are recorded; null on leaves.
  gradFn: GradFn | null = null;
  // The first tensor made on a pooled buffer owns it; views on the same buffer do not, so only the
  // owner may give it back when a recycling backward is done with it (storage.ts).
  readonly ownsData: boolean;

  constructor(data: TypedData, shape: Shape) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: ${data.length} values do not fill shape ${formatShape(shape)}`);
    }
    this.data = data;
    this.shape = [...shape];
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
    this.ownsData = claim(data);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  // The float32 buffer; an error for int32 tensors, which only index.
  f32(op = 'op'): Float32Array {
    if (this.data === RELEASED) throw bf16OnlyError(op, this.shape);
    if (!(this.data instanceof Float32Array)) {
      throw new Error(`${op}: expects a float32 tensor, got int32 of shape ${formatShape(this.shape)}`);
    }
    return this.data;
  }

  i32(op = 'op'): Int32Array {
    if (!(this.data instanceof Int32Array)) {
      throw new Error(
        `${op}: expects an int32 tensor of indices, got float32 of shape ${formatShape(this.shape)}`,
      );
    }
    return this.data;
  }

  item(): number {
    if (this.size !== 1) throw new Error(`item: expects one element, got shape ${formatShape(this.shape)}`);
    return this.data[0];
  }

  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  // The same buffer under another shape (one axis may be -1), outside autograd.
  reshapeRaw(shape: Shape): Tensor {
    return new Tensor(this.data, resolveShape('reshape', this.shape, shape));
  }

  // Marks a leaf as a parameter-like tensor whose gradient is wanted.
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag)
      throw new Error('requiresGrad_: cannot turn gradients off on a non-leaf tensor');
    if (flag && this.dtype !== 'float32')
      throw new Error('requiresGrad_: only float32 tensors have gradients');
    this.requiresGrad = flag;
    return this;
  }

  // The same values, cut from the graph; shares the buffer.
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  clone(): Tensor {
    if (this.data instanceof Int32Array) return new Tensor(this.data.slice(), this.shape);
    const copy = emptyF32(this.size);
    copy.set(this.data);
    return new Tensor(copy, this.shape);
  }

  backward(grad?: Tensor, options: BackwardOptions = {}): void {
    backward(this, grad, options);
  }

  toString(): string {
    const body = this.size <= 64 ? JSON.stringify(this.toArray()) : `${this.size} values`;
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}, ${body})`;
  }
}

export type TensorLike = Tensor | number;
