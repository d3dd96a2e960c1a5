// The KV cache's buffers: every layer's keys and values are slices of one array (so that the native
// backend can put nearly all of it on 2 MiB pages), yet each layer reads and writes only its own,
// through growth too; a cache beyond 512 MiB keeps arrays of its own; and on the native backend a
// written cache lies on 2 MiB pages.
import { describe, expect, it } from 'vitest';
import { KVCache } from '../../src/llm/kv-cache.js';
import { Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { anonHugeBytes, hugePagesOffered, thpMode } from '../helpers/huge-pages.js';

// Keys or values (1, heads, tokens, hs) whose every element tells its layer, kind, head and position.
function rows(layer: number, kind: number, heads: number, from: number, tokens: number, hs: number): Tensor {
  const data = new Float32Array(heads * tokens * hs);
  for (let h = 0; h < heads; h++)
    for (let t = 0; t < tokens; t++)
      data.fill(
        layer * 1e6 + kind * 1e5 + h * 1e4 + from + t + 1,
        (h * tokens + t) * hs,
        (h * tokens + t + 1) * hs,
      );
  return new Tensor(data, [1, heads, tokens, hs]);
}

describeEachBackend('the KV cache', (backend) => {
  for (const grow of [false, true]) {
    it(`keeps each layer's keys and values apart${grow ? ', through growth' : ''}`, () => {
      const [layers, heads, hs, maxLength] = [3, 2, 4, 600];
      const cache = new KVCache(layers, 1, heads, maxLength, hs, { grow });
      expect(cache.layers[0].capacity).toBe(grow ? 256 : 600);
      // 300 positions in two appends: a growing cache doubles to 512 at the second.
      for (const [from, tokens] of [
        [0, 200],
        [200, 100],
      ])
        cache.layers.forEach((l, i) =>
          l.append(rows(i, 0, heads, from, tokens, hs), rows(i, 1, heads, from, tokens, hs)),
        );
      cache.layers.forEach((l, i) => {
        expect(l.capacity).toBe(grow ? 512 : 600);
        expect(l.length).toBe(300);
        for (const [kind, buffer] of [l.keys, l.values].entries())
          for (let h = 0; h < heads; h++)
            for (const t of [0, 199, 200, 299, 300, l.capacity - 1]) {
              const want = t < 300 ? i * 1e6 + kind * 1e5 + h * 1e4 + t + 1 : 0;
              expect(buffer[(h * l.capacity + t) * hs + hs - 1]).toBe(want);
            }
      });
    });
  }

  it('gives the layers one array up to 512 MiB, and arrays of their own beyond', () => {
    const small = new KVCache(12, 1, 12, 1024, 64); // gpt2-small's: 72 MiB
    expect(small.layers[5].keys.buffer).toBe(small.layers[0].values.buffer);
    // 24 layers of 16 heads x 4,096 positions x 64: 805 MB, allocated but never written.
    const large = new KVCache(24, 1, 16, 4096, 64);
    const buffers = new Set(large.layers.flatMap((l) => [l.keys.buffer, l.values.buffer]));
    expect(buffers.size).toBe(48);
    expect(large.layers[23].keys.length).toBe(16 * 4096 * 64);
  });

  describe.runIf(hugePagesOffered)('written', () => {
    it(backend === 'native' ? 'lies on 2 MiB pages' : 'stays on the pages it gets', () => {
      // gpt2-small's cache (12 layers of 12 heads x 1024 positions x 64: 72 MiB), one token written:
      // a float every 256 KiB, which touches every 2 MiB page of it.
      const [layers, heads, hs, maxLength] = [12, 12, 64, 1024];
      const before = anonHugeBytes();
      const cache = new KVCache(layers, 1, heads, maxLength, hs);
      cache.layers.forEach((l, i) => l.append(rows(i, 0, heads, 0, 1, hs), rows(i, 1, heads, 0, 1, hs)));
      const gained = anonHugeBytes() - before;
      const bytes = 2 * layers * heads * maxLength * hs * 4;
      if (backend === 'native') {
        // On 4 KiB pages this would be 1.2 MB; half the cache allows for a machine short of free
        // 2 MiB pages.
        expect(gained).toBeGreaterThanOrEqual(bytes / 2);
      } else if (/\[madvise\]/.test(thpMode)) {
        expect(gained).toBeLessThan(2 * 1024 * 1024);
      }
      expect(cache.layers[11].values[0]).toBe(11 * 1e6 + 1e5 + 1);
    });
  });
});
