// Gemma 3's KV cache: global layers keep every position (as KVCache's layers do), local layers only
// what their sliding window can still reach. A query at position p sees keys p - window + 1..p, so
// before new tokens arrive a local layer needs just the last window - 1 positions; older ones are
// dropped (the book's standalone-gemma3-plus-kvcache.ipynb trims to the window after every step;
// transformers keeps a sliding-window cache per local layer). Dropping waits until a whole window
// can go, so its copy costs about one position per token, and while decoding a local layer holds
// under two windows however long the generation (its buffer as large as the prompt needed): for
// Gemma-3-270m, 15 of 18 layers hold at most 1,023 of up to 32,768 positions.
//
// Attention reads the stored positions as LayerCache does; the mask depends only on the distance
// between a query and a key, so positions counted from the first stored one mask the same keys.
import type { Tensor } from '../../tensor/index.js';
import { type KVCache, LayerCache } from '../kv-cache.js';

export class WindowedLayerCache extends LayerCache {
  // Positions dropped from the front: the first stored key is position `dropped`.
  dropped = 0;

  constructor(
    batch: number,
    heads: number,
    maxLength: number,
    headDim: number,
    // null: a global layer, which keeps everything.
    readonly window: number | null,
  ) {
    super(batch, heads, maxLength, headDim, { grow: true });
  }

  // Every position seen so far, dropped ones included.
  get positions(): number {
    return this.dropped + this.length;
  }

  override append(keys: Tensor, values: Tensor): void {
    if (this.window !== null && this.length - (this.window - 1) >= this.window)
      this.forget(this.length - (this.window - 1));
    super.append(keys, values);
  }

  // Drops the n oldest positions of every head, moving the rest to the front of its slab.
  private forget(n: number): void {
    const { batch: B, heads: nh, headDim: hs, capacity } = this;
    const kept = (this.length - n) * hs;
    for (let slab = 0; slab < B * nh; slab++) {
      const base = slab * capacity * hs;
      this.keys.copyWithin(base, base + n * hs, base + n * hs + kept);
      this.values.copyWithin(base, base + n * hs, base + n * hs + kept);
    }
    this.length -= n;
    this.dropped += n;
  }

  reset(): void {
    this.length = 0;
    this.dropped = 0;
  }
}

// One layer cache per layer, windowed where the layer is local.
export class Gemma3Cache implements KVCache {
  readonly layers: WindowedLayerCache[];

  constructor(
    windows: readonly (number | null)[],
    batch: number,
    heads: number,
    maxLength: number,
    headDim: number,
  ) {
    this.layers = windows.map((w) => new WindowedLayerCache(batch, heads, maxLength, headDim, w));
  }

  // Positions seen (the model's next position), not positions stored.
  get length(): number {
    return this.layers[0]?.positions ?? 0;
  }

  get maxLength(): number {
    return this.layers[0]?.maxLength ?? 0;
  }

  reset(): void {
    for (const l of this.layers) l.reset();
  }
}
