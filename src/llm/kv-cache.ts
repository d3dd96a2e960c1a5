// The KV cache for incremental decoding (the book's bonus material): each attention layer keeps the
// keys and values of the tokens seen so far in buffers preallocated to the context length, so a new
// token costs one row of keys and values, not a recomputation of the whole sequence. Attention over
// the cached rows reads the buffers in place through GEMM strides: nothing is copied per step.
import { kernels } from '../backend/index.js';
import * as T from '../tensor/index.js';
import { Tensor } from '../tensor/index.js';

export class LayerCache {
  // (B, nh, maxLength, hs), positions [0, length) filled; the decoder (decoder.ts) writes and
  // attends them directly.
  readonly keys: Float32Array;
  readonly values: Float32Array;
  length = 0;

  constructor(
    readonly batch: number,
    readonly heads: number,
    readonly maxLength: number,
    readonly headDim: number,
  ) {
    this.keys = new Float32Array(batch * heads * maxLength * headDim);
    this.values = new Float32Array(batch * heads * maxLength * headDim);
  }

  // keys, values: (B, nh, Tn, hs), appended at the current length.
  append(keys: Tensor, values: Tensor): void {
    const [B, nh, Tn, hs] = keys.shape;
    if (keys.requiresGrad)
      throw new Error('KV cache: incremental decoding runs without gradients (use noGrad)');
    if (B !== this.batch || nh !== this.heads || hs !== this.headDim) {
      throw new Error(`KV cache: keys of shape [${keys.shape.join(', ')}] do not fit this cache`);
    }
    if (this.length + Tn > this.maxLength) {
      throw new Error(`KV cache: ${this.length + Tn} tokens exceed the context length ${this.maxLength}`);
    }
    const dstStrides = [nh * this.maxLength * hs, this.maxLength * hs, hs, 1];
    const srcStrides = [nh * Tn * hs, Tn * hs, hs, 1];
    const k = kernels();
    k.copyStrided(keys.data, 0, srcStrides, this.keys, this.length * hs, dstStrides, keys.shape);
    k.copyStrided(values.data, 0, srcStrides, this.values, this.length * hs, dstStrides, values.shape);
    this.length += Tn;
  }

  // Causal attention of the newest queries (B, nh, Tn, hs) over every cached position.
  attend(queries: Tensor): Tensor {
    const [B, nh, Tn, hs] = queries.shape;
    const total = this.length;
    const start = total - Tn;
    const k = kernels();
    const scores = new Float32Array(B * nh * Tn * total);
    k.matmul({
      a: queries.f32(),
      b: this.keys,
      c: scores,
      batch: B * nh,
      m: Tn,
      k: hs,
      n: total,
      transA: false,
      transB: true,
      strideA: Tn * hs,
      strideB: this.maxLength * hs,
      strideC: Tn * total,
      accumulate: false,
    });
    let s = new Tensor(scores, [B, nh, Tn, total]);
    // Query i sits at position start + i and may see keys 0..start + i.
    if (Tn > 1) s = s.maskedFill(T.triu(T.ones([Tn, total]), start + 1), -Infinity);
    const weights = T.affine(s, 1 / Math.sqrt(hs)).softmax(-1);
    const context = new Float32Array(B * nh * Tn * hs);
    k.matmul({
      a: weights.f32(),
      b: this.values,
      c: context,
      batch: B * nh,
      m: Tn,
      k: total,
      n: hs,
      transA: false,
      transB: false,
      strideA: Tn * total,
      strideB: this.maxLength * hs,
      strideC: Tn * hs,
      accumulate: false,
    });
    return new Tensor(context, [B, nh, Tn, hs]);
  }
}

export class KVCache {
  readonly layers: LayerCache[];

  constructor(layers: number, batch: number, heads: number, maxLength: number, headDim: number) {
    this.layers = Array.from({ length: layers }, () => new LayerCache(batch, heads, maxLength, headDim));
  }

  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  get maxLength(): number {
    return this.layers[0]?.maxLength ?? 0;
  }

  reset(): void {
    for (const l of this.layers) l.length = 0;
  }
}
