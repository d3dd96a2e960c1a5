// The KV cache for incremental decoding (the book's bonus material): each attention layer keeps the
// keys and values of the tokens seen so far, so a new token costs one row of keys and values, not a
// recomputation of the whole sequence. Attention over the cached rows reads the buffers in place
// through GEMM strides: nothing is copied per step.
//
// With grouped-query attention (Llama 3, Qwen3, Gemma 3) the cache holds the key/value heads only;
// each group of query heads reads its shared head through the same strides. A model whose context
// is long (Llama 3.2: 131,072 positions) starts with a small buffer that doubles as tokens arrive,
// instead of reserving gigabytes for positions a short generation never reaches.
import { hugePageF32 } from '../backend/huge-pages.js';
import { kernels } from '../backend/index.js';
import * as T from '../tensor/index.js';
import { Tensor } from '../tensor/index.js';

export interface AttendOptions {
  // Scores are multiplied by this before the softmax; 1/sqrt(hs) by default.
  scale?: number;
  // A sliding-window layer (Gemma 3's local layers): query position p sees keys p - window + 1..p.
  window?: number;
  // Scaled scores become softcap * tanh(s / softcap) before the mask (Gemma's attn_logit_softcapping).
  softcap?: number;
}

// softcap * tanh(x / softcap): bounds logits smoothly to (-softcap, softcap); x itself without a cap.
export function softcapped(x: Tensor, softcap?: number | null): Tensor {
  return softcap ? T.affine(T.affine(x, 1 / softcap).tanh(), softcap) : x;
}

// Several sequences decoded together, one token each (continuous batching, serve's batcher): one
// layer's cache of each row of the batch, each sequence at its own position, and the rotary
// embedding of each row's position for this layer (cos, sin: (B, 1, 1, hs)). The projections, RoPE
// and the feed-forward take the rows together (each weight read once); attention takes each row
// over its own cache, as that sequence decoding alone would.
export class RowCaches {
  constructor(
    readonly caches: readonly LayerCache[],
    readonly rope: { cos: Tensor; sin: Tensor },
  ) {}
}

// The first allocation of a growing cache, in positions.
const INITIAL_CAPACITY = 256;
// The largest cache whose layers share one array on 2 MiB pages (gpt2-large's: 360 MiB).
const MAX_ARENA_BYTES = 512 * 1024 * 1024;

export class LayerCache {
  // (B, nh, capacity, hs), positions [0, length) filled; the decoder (decoder.ts) writes and
  // attends them directly. They are replaced (never resized in place) when the cache grows.
  keys: Float32Array;
  values: Float32Array;
  // Positions the buffers hold room for: the stride of a head, at most maxLength.
  capacity: number;
  length = 0;

  // buffers: the first keys and values, each of batch * heads * initialCapacity * headDim floats,
  // zeroed (KVCache hands its layers slices of one array); new arrays otherwise.
  constructor(
    readonly batch: number,
    readonly heads: number,
    readonly maxLength: number,
    readonly headDim: number,
    options: { grow?: boolean; buffers?: { keys: Float32Array; values: Float32Array } } = {},
  ) {
    this.capacity = LayerCache.initialCapacity(maxLength, options);
    const length = batch * heads * this.capacity * headDim;
    const { keys, values } = options.buffers ?? {
      keys: new Float32Array(length),
      values: new Float32Array(length),
    };
    if (keys.length !== length || values.length !== length)
      throw new Error(`KV cache: a layer's first buffers must hold ${length} floats`);
    this.keys = keys;
    this.values = values;
  }

  // The positions a new layer holds room for, before it grows.
  static initialCapacity(maxLength: number, options: { grow?: boolean } = {}): number {
    return options.grow ? Math.min(maxLength, INITIAL_CAPACITY) : maxLength;
  }

  private reserve(positions: number): void {
    if (positions <= this.capacity) return;
    let capacity = this.capacity;
    while (capacity < positions) capacity *= 2;
    capacity = Math.min(capacity, this.maxLength);
    const { batch: B, heads: nh, headDim: hs } = this;
    const k = kernels();
    const moved = (old: Float32Array): Float32Array => {
      const next = hugePageF32(B * nh * capacity * hs);
      const shape = [B, nh, this.length, hs];
      const from = [nh * this.capacity * hs, this.capacity * hs, hs, 1];
      const to = [nh * capacity * hs, capacity * hs, hs, 1];
      k.copyStrided(old, 0, from, next, 0, to, shape);
      return next;
    };
    this.keys = moved(this.keys);
    this.values = moved(this.values);
    this.capacity = capacity;
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
    this.reserve(this.length + Tn);
    const dstStrides = [nh * this.capacity * hs, this.capacity * hs, hs, 1];
    const srcStrides = [nh * Tn * hs, Tn * hs, hs, 1];
    const k = kernels();
    k.copyStrided(keys.data, 0, srcStrides, this.keys, this.length * hs, dstStrides, keys.shape);
    k.copyStrided(values.data, 0, srcStrides, this.values, this.length * hs, dstStrides, values.shape);
    this.length += Tn;
  }

  // Causal attention of the newest queries (B, nh, Tn, hs) over every cached position. With fewer
  // cached heads than query heads (grouped-query attention), query heads g*j..g*j+g-1 share cached
  // head j: viewed as (B * heads, g * Tn, hs), the queries of a group are rows of one GEMM.
  attend(queries: Tensor, options: AttendOptions = {}): Tensor {
    const [B, nh, Tn, hs] = queries.shape;
    if (nh % this.heads !== 0 || hs !== this.headDim || B !== this.batch)
      throw new Error(
        `KV cache: queries of shape [${queries.shape.join(', ')}] do not fit a cache of ${this.heads} heads of ${this.headDim}`,
      );
    const rows = (nh / this.heads) * Tn;
    const total = this.length;
    const start = total - Tn;
    const k = kernels();
    const scale = options.scale ?? 1 / Math.sqrt(hs);
    // A decode step (one new token) without a softcap or a window that cuts it: the fused kernel,
    // scores, softmax and weighted sum per head in one pass, each group reading its cached head.
    // Its queries (B, nh, 1, hs) are laid out as (B, 1, nh * hs), the rows it takes.
    if (
      Tn === 1 &&
      options.softcap === undefined &&
      (options.window === undefined || options.window >= total)
    ) {
      const context = new Float32Array(B * nh * hs);
      k.attendCached({
        q: queries.f32(),
        keys: this.keys,
        values: this.values,
        out: context,
        batch: B,
        heads: nh,
        kvHeads: this.heads,
        headDim: hs,
        maxLength: this.capacity,
        start,
        tokens: 1,
        scale,
      });
      return new Tensor(context, [B, nh, 1, hs]);
    }
    const scores = new Float32Array(B * nh * Tn * total);
    k.matmul({
      a: queries.f32(),
      b: this.keys,
      c: scores,
      batch: B * this.heads,
      m: rows,
      k: hs,
      n: total,
      transA: false,
      transB: true,
      strideA: rows * hs,
      strideB: this.capacity * hs,
      strideC: rows * total,
      accumulate: false,
    });
    let s = softcapped(T.affine(new Tensor(scores, [B, nh, Tn, total]), scale), options.softcap);
    const mask = attentionMask(Tn, total, start, options.window);
    if (mask) s = s.maskedFill(mask, -Infinity);
    const weights = s.softmax(-1);
    const context = new Float32Array(B * nh * Tn * hs);
    k.matmul({
      a: weights.f32(),
      b: this.values,
      c: context,
      batch: B * this.heads,
      m: rows,
      k: total,
      n: hs,
      transA: false,
      transB: false,
      strideA: rows * total,
      strideB: this.capacity * hs,
      strideC: rows * hs,
      accumulate: false,
    });
    return new Tensor(context, [B, nh, Tn, hs]);
  }
}

// The (Tn, total) mask, 1 where a query may not look, for queries at positions start..start+Tn-1
// over keys 0..total-1: the future, and with a window the keys window or more positions back.
// Null when nothing is masked (one new token, no window reached).
export function attentionMask(Tn: number, total: number, start: number, window?: number): Tensor | null {
  const future = Tn > 1 ? T.triu(T.ones([Tn, total]), start + 1) : null;
  // Query i (position start + i) must not see key j when start + i - j >= window.
  const past =
    window !== undefined && start + Tn - 1 >= window ? T.tril(T.ones([Tn, total]), start - window) : null;
  if (future && past) return future.add(past);
  return future ?? past;
}

export class KVCache {
  readonly layers: LayerCache[];

  constructor(
    layers: number,
    batch: number,
    heads: number,
    maxLength: number,
    headDim: number,
    options: { grow?: boolean } = {},
  ) {
    // Every layer's keys and values in one array, so that nearly all of it gets 2 MiB pages (a
    // 3 MB buffer of its own rarely holds a whole one): attention over them is 2% of a gpt2-small
    // decode step faster than on 4 KiB pages (docs/decoding.md). The first token written maps the
    // whole array then (each head's rows start in a page of their own otherwise), so a larger
    // cache (a long context that does not grow) keeps arrays of its own on 4 KiB pages.
    const length = batch * heads * LayerCache.initialCapacity(maxLength, options) * headDim;
    const arena = 2 * layers * length * 4 <= MAX_ARENA_BYTES ? hugePageF32(2 * layers * length) : null;
    const part = (of: Float32Array, i: number) => of.subarray(i * length, (i + 1) * length);
    this.layers = Array.from(
      { length: layers },
      (_, l) =>
        new LayerCache(batch, heads, maxLength, headDim, {
          ...options,
          buffers: arena ? { keys: part(arena, 2 * l), values: part(arena, 2 * l + 1) } : undefined,
        }),
    );
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
