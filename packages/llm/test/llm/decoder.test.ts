// The decode path (src/llm/decoder.ts) against the module forward it replaces: the logits of a
// prompt run at once (the GEMM path) and token by token (gemv and attendCached) agree with
// model.forward's, on both backends, with qkv bias and tied heads; and bf16 weights stay within
// the bound that bf16 rounding explains.
import { describe, expect, it } from 'vitest';
import { toBf16 } from '../../src/backend/bf16.js';
import { Decoder, decoderSupports, keepWeightsInBf16 } from '../../src/llm/decoder.js';
import { generate } from '../../src/llm/generate.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';
import { applyLoRA } from '../../src/llm/lora.js';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';

const prompt = [1549, 11, 314, 716, 257, 1110, 13, 198, 464, 3290, 11, 290, 617];

function model(seed: number, extra: object = {}): GPTModel {
  return new GPTModel({ ...presetConfig('gpt2-tiny'), dropRate: 0, ...extra }, { rng: new Rng(seed) }).eval();
}

// Logits of every position of ids by the module path, (T, V).
function moduleLogits(m: GPTModel, ids: number[]): Float32Array {
  return noGrad(() => m.forward(new Tensor(Int32Array.from(ids), [1, ids.length]))).data as Float32Array;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describeEachBackend('the decoder', () => {
  for (const extra of [{}, { qkvBias: true, tieWeights: true }]) {
    it(`gives the module path's logits, prompt at once and token by token (${JSON.stringify(extra)})`, () => {
      const m = model(5, extra);
      const V = m.config.vocabSize;
      const want = moduleLogits(m, prompt);
      const atOnce = new Decoder(m);
      const got = atOnce.step(prompt);
      expect(maxAbsDiff(got, want.subarray((prompt.length - 1) * V))).toBeLessThan(1e-4);
      const oneByOne = new Decoder(m);
      prompt.forEach((id, i) => {
        const logits = oneByOne.step([id]);
        expect(maxAbsDiff(logits, want.subarray(i * V, (i + 1) * V)), `position ${i}`).toBeLessThan(1e-4);
      });
      expect(oneByOne.length).toBe(prompt.length);
    });
  }

  it('continues a prefilled cache with a few tokens at once, and refuses to pass the context', () => {
    const m = model(6);
    const V = m.config.vocabSize;
    const want = moduleLogits(m, prompt);
    const d = new Decoder(m);
    d.step(prompt.slice(0, 9));
    const got = d.step(prompt.slice(9));
    expect(maxAbsDiff(got, want.subarray((prompt.length - 1) * V))).toBeLessThan(1e-4);
    d.reset();
    expect(d.length).toBe(0);
    expect(() => d.step(new Array<number>(m.config.contextLength + 1).fill(1))).toThrow(/exceed the context/);
    expect(() => d.step([m.config.vocabSize])).toThrow(/outside the vocabulary/);
  });

  it('counts the weight bytes one token reads: every matrix once, bf16 half of f32', () => {
    const m = model(7);
    const { embDim: C, vocabSize: V, nLayers: L } = m.config;
    const f32 = new Decoder(m).weightBytesPerToken;
    // Per block 12 C^2 weights and the biases of out_proj (C), fc1 (4C) and fc2 (C) (no qkv bias);
    // the norms; one row of each embedding.
    const blockWeights = 12 * C * C;
    const small = L * (C + 4 * C + C) + (2 * L + 1) * 2 * C + 2 * C;
    expect(f32).toBe(4 * (L * blockWeights + V * C + small));
    expect(new Decoder(m, { dtype: 'bf16' }).weightBytesPerToken).toBe(
      2 * (L * blockWeights + V * C) + 4 * small,
    );
  });

  it('bf16 weights: exactly the logits of the model with its weights rounded to bf16', () => {
    // bf16 decoding is f32 decoding of a perturbed model: each matrix weight rounded to 8
    // significant bits (relative change at most 2^-8, half a unit in the 8th bit, checked below), activations untouched. So
    // the bf16 logits must equal, to float32 accuracy, those of the f32 path on rounded weights.
    const m = model(8, { qkvBias: true });
    const rounded = model(8, { qkvBias: true });
    const widen = (bits: Uint16Array) =>
      new Float32Array(new Uint32Array(Array.from(bits, (b: number) => b << 16)).buffer);
    let worstRelative = 0;
    for (const [name, p] of rounded.namedParameters()) {
      if (!name.endsWith('weight') || p.shape.length !== 2 || name.includes('emb')) continue;
      const w = p.data as Float32Array;
      const r = widen(toBf16(w.slice()));
      for (let i = 0; i < w.length; i++)
        if (w[i] !== 0) worstRelative = Math.max(worstRelative, Math.abs(r[i] - w[i]) / Math.abs(w[i]));
      w.set(r);
    }
    expect(worstRelative).toBeGreaterThan(0);
    expect(worstRelative).toBeLessThanOrEqual(2 ** -8);
    const want = new Decoder(rounded).step(prompt).slice();
    const f32 = new Decoder(m).step(prompt).slice();
    const bf16 = new Decoder(m, { dtype: 'bf16' });
    expect(maxAbsDiff(bf16.step(prompt), want)).toBeLessThan(1e-4);
    // ...and the rounding does move the logits: the test would see weights left in f32.
    expect(maxAbsDiff(bf16.logits, f32)).toBeGreaterThan(1e-4);
    // Token by token (gemv on bf16 throughout) too.
    bf16.reset();
    for (const id of prompt) bf16.step([id]);
    expect(maxAbsDiff(bf16.logits, want)).toBeLessThan(1e-4);
  });

  it('a model kept in bf16 only decodes as its rounded twin, and its module forward refuses to run', () => {
    const m = model(10, { tieWeights: true });
    const twin = model(10, { tieWeights: true });
    for (const l of [
      twin.tok_emb,
      ...[...twin.trf_blocks].flatMap((b) => [
        b.att.W_query,
        b.att.W_key,
        b.att.W_value,
        b.att.out_proj,
        b.ff.layers[0],
        b.ff.layers[2],
      ]),
    ]) {
      const w = (l as unknown as { weight: { data: Float32Array } }).weight.data;
      w.set(new Float32Array(new Uint32Array(Array.from(toBf16(w), (b: number) => b << 16)).buffer));
    }
    keepWeightsInBf16(m);
    expect(m.decodeOnly).toBe(true);
    expect(m.tok_emb.weight.data.length).toBe(0);
    const d = new Decoder(m);
    expect(d.dtype).toBe('bf16');
    expect(maxAbsDiff(d.step(prompt), new Decoder(twin).step(prompt))).toBeLessThan(1e-4);
    expect(generate(m, prompt, { maxNewTokens: 8 })).toEqual(generate(twin, prompt, { maxNewTokens: 8 }));
    expect(() => generate(m, prompt, { maxNewTokens: 1, kvCache: false })).toThrow(/bf16 for decoding only/);
    expect(() => new Decoder(m, { dtype: 'f32' })).toThrow(/bf16 only/);
  });

  it('runs only models whose layers it knows (LoRA adapters keep the module path)', () => {
    const m = model(9);
    expect(decoderSupports(m)).toBe(true);
    applyLoRA(m, { rank: 2, alpha: 4 });
    expect(decoderSupports(m)).toBe(false);
  });
});

describe('bf16 conversion', () => {
  it('rounds to nearest even and keeps NaN and infinities', () => {
    const x = Float32Array.from([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, Infinity, -Infinity, NaN, 0]);
    const bits = toBf16(x);
    const back = new Float32Array(new Uint32Array(Array.from(bits, (b: number) => b << 16)).buffer);
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
    expect(Array.from(back)).toEqual([1, 1, 1 + 2 ** -6, -2.5, Infinity, -Infinity, NaN, 0]);
  });
});

describeEachBackend('batched decoding', () => {
  it('gives every sequence of a batch the bits it gets alone, f32 and bf16', () => {
    for (const dtype of ['f32', 'bf16'] as const) {
      const m = model(11, { qkvBias: true });
      const prompts = [prompt, [464, 3290, 11], prompt.slice(3, 12)];
      const V = m.config.vocabSize;
      // Alone: each prompt through its own decoder, then 4 greedy tokens, logits kept.
      const alone = prompts.map((p) => {
        const d = new Decoder(m, { dtype });
        let logits = d.step(p);
        const seen: number[][] = [];
        for (let i = 0; i < 4; i++) {
          const next = logits.indexOf(Math.max(...logits));
          logits = d.step([next]);
          seen.push(Array.from(logits));
        }
        return seen;
      });
      // Together: prefilled one by one, then decoded in one batch per step.
      const d = new Decoder(m, { dtype });
      const caches = prompts.map(() => d.newSequence());
      let next = prompts.map((p, s) => {
        const logits = d.stepSequence(caches[s], p);
        return logits.indexOf(Math.max(...logits));
      });
      for (let i = 0; i < 4; i++) {
        const logits = d.stepBatch(caches, next);
        next = prompts.map((_, s) => {
          const row = Array.from(logits.subarray(s * V, (s + 1) * V));
          expect(row, `${dtype} sequence ${s} step ${i}`).toEqual(alone[s][i]);
          return row.indexOf(Math.max(...row));
        });
      }
      expect(caches.map((c) => c.length)).toEqual(prompts.map((p) => p.length + 4));
      expect(() => d.stepBatch([caches[0], caches[0]], [1, 2])).toThrow(/same cache twice/);
    }
  });

  it('prefills a short prompt inside a batch with the bits it gets alone, f32 and bf16', () => {
    for (const dtype of ['f32', 'bf16'] as const) {
      const m = model(12, { qkvBias: true });
      const V = m.config.vocabSize;
      const short = [464, 3290, 11, 257];
      const alone = Array.from(new Decoder(m, { dtype }).step(short));
      // Another sequence is mid-generation (one token a step) when the prompt joins with all of its.
      const d = new Decoder(m, { dtype });
      const running = d.newSequence();
      const joining = d.newSequence();
      d.stepSequence(running, [40, 588]);
      const logits = d.stepBatch([running, joining], [5, short]);
      expect(Array.from(logits.subarray(V, 2 * V)), dtype).toEqual(alone);
      expect([running.length, joining.length]).toEqual([3, 4]);
      expect(() => d.stepBatch([running, joining], [5, []])).toThrow(/at least one token/);
      // Up to 8 tokens the prefill is gemv; beyond, the GEMM (which widens bf16 weights as it packs).
      expect([8, 9].map((n) => d.prefillsByGemv(n))).toEqual([true, false]);
    }
  });
});
