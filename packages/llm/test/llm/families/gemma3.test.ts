// Gemma 3 against h/fix's PyTorch reference (test/fixtures/families/gemma3-*: 3 layers local, global,
// local with a window of 4 on 14 ids, f32 in one file and bf16 in two shards), and its sliding
// window with and without the KV cache on sequences many windows long.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WindowedLayerCache } from '../../../src/llm/families/gemma3-cache.js';
import { loadModel } from '../../../src/llm/families/load.js';
import { generate } from '../../../src/llm/generate.js';
import { noGrad, Rng, Tensor } from '../../../src/tensor/index.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { tinyGemma } from './gemma3-tiny.js';

const ROOT = 'test/fixtures/families';
const CASES = readdirSync(ROOT).filter((c) => c.startsWith('gemma3-'));

interface Expected {
  ids: number[];
  logits: number[][];
  greedy: number[];
}

const expected = (c: string): Expected =>
  JSON.parse(readFileSync(join(ROOT, c, 'expected.json'), 'utf8')) as Expected;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const idsOf = (n: number, seed: number, vocab = 61): number[] => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.floor(rng.uniform() * vocab));
};

const row = (ids: number[]) => new Tensor(Int32Array.from(ids), [1, ids.length]);

describeEachBackend('Gemma 3', () => {
  it('has both fixture cases (f32 single file, bf16 shards) with a sequence longer than the window', () => {
    expect(CASES.sort()).toEqual(['gemma3-bf16-sharded', 'gemma3-f32']);
    for (const c of CASES) {
      const hf = JSON.parse(readFileSync(join(ROOT, c, 'config.json'), 'utf8')) as { sliding_window: number };
      expect(expected(c).ids.length).toBeGreaterThan(2 * hf.sliding_window);
    }
  });

  for (const c of CASES) {
    it(`${c}: logits of every position within 1e-3 of the reference, greedy ids equal with and without the cache`, () => {
      const want = expected(c);
      const model = loadModel(join(ROOT, c)).eval();
      expect(model.family).toBe('gemma3');
      const logits = noGrad(() => model.forward(row(want.ids)));
      expect(logits.shape).toEqual([1, want.ids.length, want.logits[0].length]);
      expect(maxDiff(logits.data, want.logits.flat())).toBeLessThan(1e-3);
      expect(generate(model, want.ids, { maxNewTokens: 8, temperature: 0 })).toEqual(want.greedy);
      expect(generate(model, want.ids, { maxNewTokens: 8, kvCache: false })).toEqual(want.greedy);
    });
  }

  it('a local layer sees only its window: a token further back changes nothing, a nearer one does', () => {
    // Two local layers of window 4: position p reaches back to p - 6 at most.
    const model = tinyGemma({ layer_types: ['sliding_attention', 'sliding_attention'] });
    const ids = idsOf(20, 1);
    const changed = [(ids[0] + 1) % 61, ...ids.slice(1)];
    const [a, b] = noGrad(() => [model.forward(row(ids)), model.forward(row(changed))]);
    const V = 61;
    const at = (t: Tensor, p: number) => t.data.subarray(p * V, (p + 1) * V);
    for (let p = 7; p < 20; p++) expect(maxDiff(at(a, p), at(b, p))).toBe(0);
    expect(maxDiff(at(a, 6), at(b, 6))).toBeGreaterThan(1e-4);
    // The same through the cache, one token at a time.
    const stepwise = (seq: number[]) => {
      const cache = model.newCache(1);
      return seq.map((id) => {
        const logits = noGrad(() => model.forward(row([id]), { cache })).data.slice();
        // Token by token, each local layer holds under two windows.
        for (const layer of cache.layers) expect(layer.length).toBeLessThanOrEqual(2 * 4 - 1);
        return logits;
      });
    };
    const [sa, sb] = [stepwise(ids), stepwise(changed)];
    for (let p = 7; p < 20; p++) expect(maxDiff(sa[p], sb[p])).toBe(0);
    expect(maxDiff(sa[6], sb[6])).toBeGreaterThan(1e-4);
  });

  it('a global layer sees the whole prefix', () => {
    const model = tinyGemma({ layer_types: ['full_attention', 'sliding_attention'] });
    const ids = idsOf(20, 2);
    const changed = [(ids[0] + 1) % 61, ...ids.slice(1)];
    const [a, b] = noGrad(() => [model.forward(row(ids)), model.forward(row(changed))]);
    expect(maxDiff(a.data.subarray(19 * 61), b.data.subarray(19 * 61))).toBeGreaterThan(1e-4);
  });

  it('the cache (prefill, single tokens, chunks) gives the logits of a full forward over 10 windows', () => {
    const model = tinyGemma({ attn_logit_softcapping: 3, final_logit_softcapping: 5 });
    const ids = idsOf(40, 3);
    const full = noGrad(() => model.forward(row(ids)));
    const cache = model.newCache(1);
    const chunks = [5, 1, 1, 1, 3, 1, 7, 1, 1, 2, 1, 1, 1, 6, 1, 1, 1, 1, 1, 3];
    expect(chunks.reduce((a, b) => a + b)).toBe(40);
    let at = 0;
    for (const n of chunks) {
      const part = noGrad(() => model.forward(row(ids.slice(at, at + n)), { cache }));
      expect(maxDiff(part.data, full.data.subarray(at * 61, (at + n) * 61))).toBeLessThan(1e-4);
      at += n;
    }
    expect(cache.length).toBe(40);
    // The local layer holds at most two windows (plus the chunk); the global one holds everything.
    const [local, global] = cache.layers;
    expect(local).toBeInstanceOf(WindowedLayerCache);
    expect(local.length).toBeLessThanOrEqual(2 * 4 + 7);
    expect(local.dropped).toBeGreaterThan(0);
    expect(global.length).toBe(40);
  });

  it('greedy generation far past the window is the same with the cache as without', () => {
    const model = tinyGemma({ sliding_window: 3 });
    const prompt = idsOf(5, 4);
    const cached = generate(model, prompt, { maxNewTokens: 30 });
    expect(cached).toEqual(generate(model, prompt, { maxNewTokens: 30, kvCache: false }));
    // Sampling too: the same draws from the same logits.
    const sampled = { maxNewTokens: 20, temperature: 1, topK: 20, seed: 9 };
    expect(generate(model, prompt, sampled)).toEqual(generate(model, prompt, { ...sampled, kvCache: false }));
  });

  it('a batch of two sequences through the cache gives each one its own logits', () => {
    const model = tinyGemma();
    const [a, b] = [idsOf(16, 6), idsOf(16, 7)];
    const batched = model.newCache(2);
    const alone = [model.newCache(1), model.newCache(1)];
    for (const [from, to] of [[0, 6], ...Array.from({ length: 10 }, (_, i) => [6 + i, 7 + i])]) {
      const both = new Tensor(Int32Array.from([...a.slice(from, to), ...b.slice(from, to)]), [2, to - from]);
      const out = noGrad(() => model.forward(both, { cache: batched }));
      const [oa, ob] = [a, b].map((ids, i) =>
        noGrad(() => model.forward(row(ids.slice(from, to)), { cache: alone[i] })),
      );
      const half = out.size / 2;
      expect(maxDiff(out.data.subarray(0, half), oa.data)).toBeLessThan(1e-5);
      expect(maxDiff(out.data.subarray(half), ob.data)).toBeLessThan(1e-5);
    }
    expect(batched.layers[0].dropped).toBeGreaterThan(0);
  });

  it('a cache reset starts afresh', () => {
    const model = tinyGemma();
    const ids = idsOf(12, 5);
    const cache = model.newCache(1);
    const first = noGrad(() => model.forward(row(ids), { cache }));
    cache.reset();
    expect(cache.length).toBe(0);
    const again = noGrad(() => model.forward(row(ids), { cache }));
    expect(maxDiff(first.data, again.data)).toBe(0);
  });
});

describe('Gemma 3 soft-capping', () => {
  it('final_logit_softcapping bounds the logits as cap * tanh(logits / cap)', () => {
    const plain = tinyGemma();
    const capped = tinyGemma({ final_logit_softcapping: 2 });
    const ids = row(idsOf(9, 6));
    const [a, b] = noGrad(() => [plain.forward(ids), capped.forward(ids)]);
    const want = Float32Array.from(a.data, (x) => 2 * Math.tanh(x / 2));
    expect(maxDiff(b.data, want)).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(a.data, Math.abs))).toBeGreaterThan(2);
  });

  it('attn_logit_softcapping changes attention, and a cap far above every score changes nothing', () => {
    const ids = row(idsOf(9, 7));
    const run = (cap: number | null) => noGrad(() => tinyGemma({ attn_logit_softcapping: cap }).forward(ids));
    const plain = run(null);
    expect(maxDiff(run(1e6).data, plain.data)).toBeLessThan(1e-4);
    expect(maxDiff(run(0.05).data, plain.data)).toBeGreaterThan(1e-3);
  });
});
